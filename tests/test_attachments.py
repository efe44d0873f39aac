"""Attachment storage: type sniffing, limits, dedup, thumbnails, safe names, tamper checks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers every table)
from core import attachments
from core.attachments import AttachmentCorrupted, AttachmentRejected, safe_filename
from core.config import Settings, load_settings
from core.db import make_engine, session_scope, utcnow
from models.system import Attachment


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(tmp_path))
    return load_settings(data_dir=tmp_path, database_url="", max_upload_mb=1)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.db_url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as s:
        yield s


def _png(size: tuple[int, int] = (1000, 500), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


def _store(session: Session, settings: Settings, data: bytes, filename: str, row_id: int = 1):
    return attachments.store(
        session,
        data=data,
        filename=filename,
        table_name="hazard",
        row_id=row_id,
        enterprise_id=7,
        actor_id=3,
        settings=settings,
    )


def _blobs(settings: Settings) -> list[Path]:
    return [
        p for p in settings.attachments_dir.rglob("*") if p.is_file() and p.parent.name != "thumbs"
    ]


def _zip(entries: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, text in entries.items():
            zf.writestr(name, text)
    return out.getvalue()


def _content_types(main: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/main.xml" ContentType="{main}"/></Types>'
    )


def test_identical_content_is_stored_once(session: Session, settings: Settings) -> None:
    data = _png()
    first = _store(session, settings, data, "a.png", row_id=1)
    second = _store(session, settings, data, "b.png", row_id=2)
    again = _store(session, settings, data, "a-again.png", row_id=1)

    assert first.id != second.id and first.sha256 == second.sha256
    assert again.id == first.id  # same content on the same row: no duplicate link
    assert len(_blobs(settings)) == 1
    blob = _blobs(settings)[0]
    assert blob == settings.attachments_dir / first.sha256[:2] / first.sha256
    assert attachments.read(second, settings) == data
    assert [a.id for a in attachments.list_for(session, "hazard", 1)] == [first.id]


def test_list_for_hides_soft_deleted(session: Session, settings: Settings) -> None:
    kept = _store(session, settings, b"kept", "kept.txt")
    gone = _store(session, settings, b"gone", "gone.txt")
    gone.deleted_at = utcnow()
    session.add(gone)
    session.flush()
    assert [a.id for a in attachments.list_for(session, "hazard", 1)] == [kept.id]


@pytest.mark.parametrize(
    ("data", "filename", "key"),
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,
            "setup.exe",
            "bad_type",
        ),
        (b"MZ\x90\x00" + b"\x00" * 64, "photo.jpg", "bad_type"),  # lying extension
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "notes.txt", "bad_type"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage", "broken.png", "bad_type"),
        (b"", "empty.txt", "empty"),
    ],
)
def test_rejects_unwanted_content(
    session: Session, settings: Settings, data: bytes, filename: str, key: str
) -> None:
    with pytest.raises(AttachmentRejected) as err:
        _store(session, settings, data, filename)
    assert err.value.key == f"attachment.{key}"
    if key == "bad_type":
        assert err.value.params == {"filename": filename}
    assert _blobs(settings) == []
    assert session.get(Attachment, 1) is None


def test_rejects_oversize(session: Session, settings: Settings) -> None:
    with pytest.raises(AttachmentRejected) as err:
        _store(session, settings, b"x" * (1024 * 1024 + 1), "big.txt")
    assert err.value.key == "attachment.too_large"
    assert err.value.params == {"max_mb": 1}
    assert _blobs(settings) == []


def test_rejects_zip_that_is_not_xlsx_or_docx(session: Session, settings: Settings) -> None:
    macro = _content_types("application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    for data in (_zip({"a.txt": "hi"}), _zip({"[Content_Types].xml": macro})):
        with pytest.raises(AttachmentRejected):
            _store(session, settings, data, "book.xlsx")


def test_accepts_allowed_types(session: Session, settings: Settings) -> None:
    wb = Workbook()
    wb.active["A1"] = "隐患"
    xlsx = io.BytesIO()
    wb.save(xlsx)
    docx = _zip(
        {
            "[Content_Types].xml": _content_types(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
            )
        }
    )
    jpeg, webp, gif = io.BytesIO(), io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(jpeg, "JPEG")
    Image.new("RGB", (40, 30), "blue").save(webp, "WEBP")
    Image.new("P", (40, 30)).save(gif, "GIF")
    cases = {
        "application/pdf": (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "报告.pdf"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
            xlsx.getvalue(),
            "台账.xlsx",
        ),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
            docx,
            "制度.docx",
        ),
        "text/csv": ("编号,名称\n1,动火\n".encode(), "清单.csv"),
        "text/plain": ("\ufeff巡检记录\r\n\t正常\n".encode(), "记录.txt"),
        "image/jpeg": (jpeg.getvalue(), "现场.jpeg"),
        "image/webp": (webp.getvalue(), "现场.webp"),
        "image/gif": (gif.getvalue(), "现场.gif"),
    }
    for row_id, (mime, (data, name)) in enumerate(cases.items(), start=1):
        att = _store(session, settings, data, name, row_id=row_id)
        assert (att.mime, att.filename, att.size) == (mime, name, len(data))
        assert att.has_thumbnail == mime.startswith("image/")


def test_extension_follows_sniffed_type(session: Session, settings: Settings) -> None:
    att = _store(session, settings, b"<script>alert(1)</script>", "page.html")
    assert (att.mime, att.filename) == ("text/plain", "page.html.txt")
    att = _store(session, settings, _png((10, 10)), "photo.jpg", row_id=2)
    assert (att.mime, att.filename) == ("image/png", "photo.jpg.png")


def test_png_gets_a_jpeg_thumbnail(session: Session, settings: Settings) -> None:
    att = _store(session, settings, _png((1000, 500), "RGBA"), "site.png")
    assert att.has_thumbnail and att.mime == "image/png"
    thumb_path = settings.attachments_dir / "thumbs" / f"{att.sha256}.jpg"
    assert thumb_path.is_file()

    thumb = attachments.read_thumbnail(att, settings)
    assert thumb is not None
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.format == "JPEG"
        assert img.size == (256, 128)

    thumb_path.unlink()  # a lost preview is rebuilt from the original
    assert attachments.read_thumbnail(att, settings) == thumb_path.read_bytes()

    text = _store(session, settings, b"plain", "a.txt")
    assert attachments.read_thumbnail(text, settings) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.png", "evil.png"),
        ("/abs/path/隐患 照片\u0000\u202e.png", "隐患 照片.png"),
        ("检查\n报告\t2024.pdf", "检查报告2024.pdf"),
        ('a<b>c:"d"|e?f*.txt', "abcdef.txt"),
        ("..", "file"),
        ("", "file"),
        ("CON.txt", "_CON.txt"),
        ("  .hidden. ", "hidden"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_caps_length_and_keeps_extension() -> None:
    name = safe_filename("长" * 500 + ".xlsx")
    assert len(name) == 200 and name.endswith(".xlsx")


def test_traversal_filename_never_reaches_the_disk(session: Session, settings: Settings) -> None:
    att = _store(session, settings, b"secret?", "../../../../tmp/owned.txt")
    assert att.filename == "owned.txt"
    assert not (settings.data_dir.parent / "tmp" / "owned.txt").exists()
    for path in settings.attachments_dir.rglob("*"):
        assert path.resolve().is_relative_to(settings.attachments_dir.resolve())
        assert "owned" not in path.name


def test_tampered_or_missing_file_is_detected(session: Session, settings: Settings) -> None:
    att = _store(session, settings, b"original evidence", "evidence.txt")
    blob = settings.attachments_dir / att.sha256[:2] / att.sha256
    blob.write_bytes(b"doctored evidence")
    with pytest.raises(AttachmentCorrupted) as err:
        attachments.read(att, settings)
    assert err.value.key == "attachment.corrupted"
    assert err.value.params == {"filename": "evidence.txt"}

    # Uploading the genuine content again repairs the shared file.
    _store(session, settings, b"original evidence", "evidence.txt", row_id=2)
    assert attachments.read(att, settings) == b"original evidence"

    blob.unlink()
    with pytest.raises(AttachmentCorrupted) as err:
        attachments.read(att, settings)
    assert err.value.key == "attachment.missing"


def test_read_refuses_a_sha_that_is_not_a_hash(settings: Settings) -> None:
    forged = Attachment(
        sha256="../../safeloop.db",
        table_name="x",
        row_id=1,
        filename="x",
        mime="text/plain",
        size=1,
    )
    with pytest.raises(ValueError):
        attachments.read(forged, settings)


def _video(fmt: str, codec: str) -> bytes:
    """A real three-frame video, encoded by PyAV (installed with the detector extra)."""
    av = pytest.importorskip("av")
    import numpy as np  # only with av: numpy arrays are its frames' input

    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for shade in (0, 90, 180):
            frame = np.full((32, 32, 3), shade, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_accepts_mp4_and_webm_videos_without_thumbnail(
    session: Session, settings: Settings
) -> None:
    cases = [
        (_video("mp4", "h264"), "安全培训.mp4", "video/mp4"),
        (_video("webm", "vp8"), "消防演练.webm", "video/webm"),
        (_video("mp4", "mpeg4"), "clip", "video/mp4"),
    ]
    for row_id, (data, name, mime) in enumerate(cases, start=1):
        att = _store(session, settings, data, name, row_id=row_id)
        assert (att.mime, att.has_thumbnail) == (mime, False)
        assert att.filename == (name if "." in name else "clip.mp4")
        assert attachments.read(att, settings) == data
        assert attachments.read_thumbnail(att, settings) is None
    assert not (settings.attachments_dir / "thumbs").exists()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"just some notes, not a film\n", "lesson.mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 64, "clip.mov"),
        (b"\x1a\x45\xdf\xa3\x8b\x42\x82\x88matroska" + b"\x00" * 64, "film.webm"),
        (b"\x00\x00\x00\x18ftyp", "short.mp4"),
    ],
    ids=["renamed-text", "quicktime", "matroska", "truncated"],
)
def test_refuses_what_only_claims_to_be_a_video(
    session: Session, settings: Settings, data: bytes, filename: str
) -> None:
    with pytest.raises(AttachmentRejected) as err:
        _store(session, settings, data, filename)
    assert err.value.key == "attachment.bad_type"
    assert _blobs(settings) == []


def test_videos_have_their_own_size_limit(
    tmp_path: Path, session: Session, settings: Settings
) -> None:
    big = _video("mp4", "mpeg4") + b"\x00" * (1024 * 1024 + 1)  # trailing padding: still MP4
    att = _store(session, settings, big, "long.mp4")  # over max_upload_mb=1, under 500
    assert att.mime == "video/mp4"
    tight = load_settings(data_dir=tmp_path, database_url="", max_video_mb=1)
    with pytest.raises(AttachmentRejected) as err:
        _store(session, tight, big + b"x", "longer.mp4", row_id=2)
    assert (err.value.key, err.value.params) == ("attachment.too_large", {"max_mb": 1})
