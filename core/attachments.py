"""Content-addressed attachment storage.

Files live at ``<attachments_dir>/<sha[:2]>/<sha>``: identical uploads share one file, the
on-disk path never contains user input, and a read re-hashes the bytes so a tampered or
damaged file is noticed instead of served. The type is decided by sniffing the content
against a short allow-list — the client's filename and MIME type are not trusted.

Permission checks are the caller's job (the CRUD layer decides who may attach to or read a
row); this module only stores, lists and reads. Files are written before the caller's
transaction commits, so a rollback can leave an unreferenced file behind: harmless, because
the name is the content hash and a later identical upload reuses it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps
from sqlmodel import Session, col, select

from core.config import Settings
from core.i18n import Translatable
from models.system import Attachment

THUMB_MAX_PX = 256
THUMB_QUALITY = 80
MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs before decoding
MAX_CONTENT_TYPES_BYTES = 1_000_000
FILENAME_MAX = 200  # Attachment.filename max_length
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_BINARY_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")

_IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
}
# Extensions a download may keep for each sniffed type; anything else gets the first one
# appended, so "report.html" that is really text comes back as "report.html.txt".
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "text/csv": (".csv",),
    "text/plain": (".txt", ".log", ".md"),
    "video/mp4": (".mp4", ".m4v"),
    "video/webm": (".webm",),
}
# ISO base media brands of a plain MP4 (H.264/H.265/AV1 in an MP4 box); QuickTime (qt  ),
# 3GP and HEIF images are other formats and stay refused.
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"mmp4",
    b"dash", b"msnv", b"av01",
}  # fmt: skip
VIDEO_MIMES = ("video/mp4", "video/webm")
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".webm", ".mov", ".mkv", ".avi")
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
}


class AttachmentError(Translatable):
    """Base for attachment failures; ``key``/``params`` feed the i18n catalogue."""

    def __init__(self, key: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(key, **(params or {}))


class AttachmentRejected(AttachmentError):
    """An upload refused.

    Keys: ``attachment.empty``, ``attachment.too_large`` {max_mb},
    ``attachment.bad_type`` {filename}.
    """


class AttachmentCorrupted(AttachmentError):
    """A stored file is missing (``attachment.missing``) or no longer matches its hash
    (``attachment.corrupted``); both carry ``{"filename"}``."""


@dataclass(frozen=True)
class Sniffed:
    mime: str
    is_image: bool


def safe_filename(name: str) -> str:
    """A display/download name with no directories, control or reserved characters.

    Keeps Chinese and other letters; only used for display and Content-Disposition,
    never to build a path.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        ch for ch in name if not unicodedata.category(ch).startswith("C") and ch not in '<>:"|?*'
    )
    name = name.strip().strip(".").strip()
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name) > FILENAME_MAX:
        suffix = f".{ext}" if dot and len(ext) <= 10 else ""
        name = name[: FILENAME_MAX - len(suffix)].rstrip() + suffix
    return name


def _with_extension(name: str, mime: str) -> str:
    allowed = EXTENSIONS[mime]
    if name.lower().endswith(allowed):
        return name
    return safe_filename(name[: FILENAME_MAX - len(allowed[0])] + allowed[0])


def _sniff_image(data: bytes) -> Sniffed | None:
    try:
        with Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                return None
            fmt = img.format or ""
            img.verify()
    except Exception:  # Pillow raises many types for junk input
        return None
    mime = _IMAGE_FORMATS.get(fmt)
    return Sniffed(mime, True) if mime else None


def _sniff_ooxml(data: bytes) -> Sniffed | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            info = zf.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                return None
            types = zf.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError):
        return None
    for main, mime in _OOXML_MAIN.items():
        if f'ContentType="{main}"' in types:
            return Sniffed(mime, False)
    return None  # macro-enabled, pptx, odf and other zips are not on the list


def _sniff_text(data: bytes, filename: str) -> Sniffed | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if _BINARY_CONTROL_RE.search(text):
        return None  # NULs and escape codes: binary data that happens to be valid UTF-8
    return Sniffed("text/csv" if filename.lower().endswith(".csv") else "text/plain", False)


def _vint(data: bytes, pos: int, *, keep_marker: bool = False) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, position after it); an element
    ID keeps its length marker. (-1, len) when the bytes end or the length is invalid."""
    first = data[pos] if pos < len(data) else 0
    length = 9 - first.bit_length()  # leading zero bits + 1
    if first == 0 or pos + length > len(data):
        return -1, len(data)
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _webm_doctype(data: bytes) -> bytes:
    """The DocType inside the EBML header ("webm", "matroska", …), or b"" when absent."""
    size, pos = _vint(data, len(_EBML_MAGIC))
    end = min(pos + size, len(data)) if size >= 0 else pos
    while pos < end:
        element, pos = _vint(data, pos, keep_marker=True)
        size, pos = _vint(data, pos)
        if element < 0 or size < 0:
            break
        if element == _EBML_DOCTYPE:
            return data[pos : pos + size].rstrip(b"\0")
        pos += size
    return b""


def sniff_video(data: bytes) -> Sniffed | None:
    """MP4 (an ``ftyp`` box naming an MP4 brand) or WebM (an EBML header of doctype webm).
    Only the first bytes are read, so the size limit for videos can be picked before the
    whole upload is sniffed."""
    if data[4:8] == b"ftyp":
        box = int.from_bytes(data[:4], "big")
        if not 16 <= box <= min(len(data), 4096):
            return None
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, box - 3, 4)}
        return Sniffed("video/mp4", False) if brands & _MP4_BRANDS else None
    if data.startswith(_EBML_MAGIC) and _webm_doctype(data[:4096]) == b"webm":
        return Sniffed("video/webm", False)
    return None


def sniff(data: bytes, filename: str = "") -> Sniffed | None:
    """The allowed type of ``data``, or None when it is not one we accept. A file named as a
    video must be one: text renamed to ``.mp4`` is refused rather than kept as text."""
    video = sniff_video(data)
    if video is not None or filename.lower().endswith(_VIDEO_EXTENSIONS):
        return video
    if (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or data[:6]
        in (
            b"GIF87a",
            b"GIF89a",
        )
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        return _sniff_image(data)
    if data.startswith(b"%PDF-"):
        return Sniffed("application/pdf", False)
    if data.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    return _sniff_text(data, filename)


def _blob_path(sha: str, settings: Settings) -> Path:
    if not _SHA_RE.fullmatch(sha):
        raise ValueError("not a sha256 hex digest")
    return settings.attachments_dir / sha[:2] / sha


def _thumb_path(sha: str, settings: Settings) -> Path:
    if not _SHA_RE.fullmatch(sha):
        raise ValueError("not a sha256 hex digest")
    return settings.attachments_dir / "thumbs" / f"{sha}.jpg"


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file + rename so a crash never leaves a half file under a hash name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_thumbnail(data: bytes) -> bytes:
    """A JPEG no larger than THUMB_MAX_PX on either side, upright, transparency on white."""
    with Image.open(io.BytesIO(data), formats=list(_IMAGE_FORMATS)) as img:
        img.seek(0)
        frame = ImageOps.exif_transpose(img.copy()) or img.copy()
    frame.thumbnail((THUMB_MAX_PX, THUMB_MAX_PX))
    if frame.mode in ("RGBA", "LA", "P"):
        frame = frame.convert("RGBA")
        background = Image.new("RGB", frame.size, "white")
        background.paste(frame, mask=frame.getchannel("A"))
        frame = background
    else:
        frame = frame.convert("RGB")
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return out.getvalue()


def store(
    session: Session,
    *,
    data: bytes,
    filename: str,
    table_name: str,
    row_id: int,
    enterprise_id: int | None,
    actor_id: int | None,
    settings: Settings,
) -> Attachment:
    """Validate, store once by content hash and link to (table_name, row_id).

    Raises AttachmentRejected. Attaching the same content to the same row again returns the
    existing link. The row is added and flushed; the caller commits (and checks rights).
    """
    if not data:
        raise AttachmentRejected("attachment.empty")
    max_mb = settings.max_video_mb if sniff_video(data) else settings.max_upload_mb
    if len(data) > max_mb * 1024 * 1024:
        raise AttachmentRejected("attachment.too_large", {"max_mb": max_mb})
    shown = safe_filename(filename)
    kind = sniff(data, shown)
    if kind is None:
        raise AttachmentRejected("attachment.bad_type", {"filename": shown})

    sha = hashlib.sha256(data).hexdigest()
    existing = session.exec(
        select(Attachment).where(
            Attachment.sha256 == sha,
            Attachment.table_name == table_name,
            Attachment.row_id == row_id,
            Attachment.deleted_at.is_(None),  # type: ignore[union-attr]
        )
    ).first()
    if existing is not None:
        return existing

    blob = _blob_path(sha, settings)
    if not blob.exists() or _file_sha(blob) != sha:
        write_atomic(blob, data)
    has_thumb = False
    if kind.is_image:
        thumb = _thumb_path(sha, settings)
        try:
            if not thumb.exists():
                write_atomic(thumb, make_thumbnail(data))
            has_thumb = True
        except Exception:  # an odd but valid image still attaches, just without preview
            has_thumb = False

    attachment = Attachment(
        sha256=sha,
        table_name=table_name,
        row_id=row_id,
        filename=_with_extension(shown, kind.mime),
        mime=kind.mime,
        size=len(data),
        has_thumbnail=has_thumb,
        enterprise_id=enterprise_id,
        created_by=actor_id,
    )
    session.add(attachment)
    session.flush()
    return attachment


def list_for(session: Session, table_name: str, row_id: int) -> list[Attachment]:
    """Live (not soft-deleted) attachments of one row, oldest first."""
    stmt = (
        select(Attachment)
        .where(
            Attachment.table_name == table_name,
            Attachment.row_id == row_id,
            Attachment.deleted_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Attachment.id)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt).all())


def previews(session: Session, ids: list[int]) -> list[Attachment]:
    """The attachments among ``ids`` that have a thumbnail (a workflow step's photos); the
    caller shows them under a record it already checked the reader may see."""
    if not ids:
        return []
    stmt = select(Attachment).where(col(Attachment.id).in_(ids), Attachment.has_thumbnail)
    return list(session.exec(stmt).all())


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read(attachment: Attachment, settings: Settings) -> bytes:
    """The stored bytes, after checking they still hash to ``attachment.sha256``."""
    path = _blob_path(attachment.sha256, settings)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AttachmentCorrupted("attachment.missing", {"filename": attachment.filename}) from None
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentCorrupted("attachment.corrupted", {"filename": attachment.filename})
    return data


def read_thumbnail(attachment: Attachment, settings: Settings) -> bytes | None:
    """The JPEG preview, rebuilt from the original if it went missing; None for non-images."""
    if not attachment.has_thumbnail:
        return None
    path = _thumb_path(attachment.sha256, settings)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    try:
        thumb = make_thumbnail(read(attachment, settings))
    except Exception:
        return None
    write_atomic(path, thumb)
    return thumb
