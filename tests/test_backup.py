"""Backup/restore: a full round trip brings rows and files back; a bad archive changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

import models  # noqa: F401  (registers every table)
from core import attachments, audit, backup, migrate, restore
from core.backup import BackupError
from core.config import Settings, get_settings, load_settings
from core.db import get_engine, reset_engines, session_scope
from models.org import Enterprise, Park
from models.system import Attachment
from tests.pg import pg_available, temp_pg_database

PHOTO = b"%PDF-1.4\n% inspection report\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    """Fresh engines, and process settings that follow this test's data dir (the audit chain
    reads its anchors there) without leaking it into later tests."""
    reset_engines()
    get_settings.cache_clear()
    yield
    reset_engines()
    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    data = tmp_path / "data"
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(data))
    return load_settings(data_dir=data, database_url="")


def _seed(settings: Settings) -> int:
    """Two parks, an enterprise and one attachment; returns the attachment id."""
    with session_scope(get_engine(settings)) as s:
        park = Park(name="高新园区", code="P1")
        s.add_all([park, Park(name="Harbour", code="P2")])
        s.flush()
        s.add(Enterprise(name="华安化工", code="91320000XYZ", park_id=park.id))
        att = attachments.store(
            s,
            data=PHOTO,
            filename="巡检报告.pdf",
            table_name="park",
            row_id=park.id or 0,
            enterprise_id=None,
            actor_id=None,
            settings=settings,
        )
        return att.id or 0


def _mutate(settings: Settings) -> None:
    with session_scope(get_engine(settings)) as s:
        park = s.exec(select(Park).where(Park.code == "P1")).one()
        park.name = "renamed"
        s.add(park)
        s.delete(s.exec(select(Enterprise)).one())
        s.add(Park(name="after backup", code="P3"))
        attachments.store(
            s,
            data=b"new file after the backup",
            filename="late.txt",
            table_name="park",
            row_id=park.id or 0,
            enterprise_id=None,
            actor_id=None,
            settings=settings,
        )
    for blob in settings.attachments_dir.glob("??/*"):
        if hashlib.sha256(PHOTO).hexdigest() == blob.name:
            blob.unlink()


def _state(settings: Settings) -> tuple[list, list, dict[str, str]]:
    reset_engines()
    with session_scope(get_engine(settings)) as s:
        parks = sorted((p.code, p.name) for p in s.exec(select(Park)))
        firms = sorted((e.code, e.name) for e in s.exec(select(Enterprise)))
    root = settings.attachments_dir
    files = {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }
    reset_engines()
    return parks, firms, files


def _assert_restored(settings: Settings, att_id: int, state: tuple) -> None:
    assert _state(settings) == state
    with session_scope(get_engine(settings)) as s:
        att = s.get(Attachment, att_id)
        assert att is not None and att.filename == "巡检报告.pdf"
        assert attachments.read(att, settings) == PHOTO
        assert [a.id for a in attachments.list_for(s, "park", att.row_id)] == [att_id]


def _roundtrip(settings: Settings) -> Path:
    att_id = _seed(settings)
    before = _state(settings)
    steps: list[tuple[float, str]] = []
    archive = backup.backup(settings, progress=lambda f, m: steps.append((f, m)))
    assert archive.parent == settings.backups_dir and archive.suffix == ".zip"
    assert steps[-1] == (1.0, "backup.step.done")
    assert [f for f, _ in steps] == sorted(f for f, _ in steps)

    _mutate(settings)
    assert _state(settings) != before
    steps.clear()
    restore.restore(settings, archive, progress=lambda f, m: steps.append((f, m)))
    assert steps[-1] == (1.0, "backup.step.done")
    _assert_restored(settings, att_id, before)
    assert not list(settings.data_dir.glob(".restore-*"))
    assert not list(settings.data_dir.glob(".backup-*"))
    return archive


def test_sqlite_round_trip(settings: Settings) -> None:
    SQLModel.metadata.create_all(get_engine(settings))
    archive = _roundtrip(settings)

    manifest = backup.read_manifest(archive)
    assert manifest["format"] == "safeloop-backup" and manifest["format_version"] == 1
    assert manifest["backend"] == "sqlite" and manifest["alembic_revision"] is None
    paths = {f["path"] for f in manifest["files"]}
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert paths == {"database/safeloop.db", f"attachments/{sha[:2]}/{sha}"}
    assert backup.list_backups(settings) == [archive]


def test_migrated_sqlite_keeps_revision(settings: Settings) -> None:
    migrate.upgrade(settings)
    archive = _roundtrip(settings)
    assert backup.read_manifest(archive)["alembic_revision"] == migrate.head_revision()
    assert migrate.current_revision(get_engine(settings)) == migrate.head_revision()


def test_backup_to_explicit_file(settings: Settings, tmp_path: Path) -> None:
    SQLModel.metadata.create_all(get_engine(settings))
    _seed(settings)
    target = backup.backup(settings, dest=tmp_path / "out" / "nightly.zip")
    assert target == tmp_path / "out" / "nightly.zip" and zipfile.is_zipfile(target)
    in_folder = backup.backup(settings, dest=tmp_path / "folder")
    assert in_folder.parent == tmp_path / "folder" and in_folder.name.startswith("safeloop-")


def test_what_a_killed_backup_left_behind_is_swept_once_old(settings: Settings) -> None:
    """A backup killed mid-way leaves its staging folder and ``.part`` archive (never a file
    named like a backup); the next backup removes stale ones and leaves a running one's be."""
    SQLModel.metadata.create_all(get_engine(settings))
    _seed(settings)
    settings.backups_dir.mkdir(parents=True, exist_ok=True)
    stale = [settings.data_dir / ".backup-killed", settings.backups_dir / ".safeloop-x.zip.part"]
    fresh = settings.backups_dir / ".safeloop-running.zip.part"
    stale[0].mkdir()
    (stale[0] / "database").write_bytes(b"half")
    for path in (stale[1], fresh):
        path.write_bytes(b"PK half")
    old = time.time() - backup.LEFTOVER_AGE_S - 60
    for path in stale:
        os.utime(path, (old, old))
    made = backup.backup(settings)
    assert not any(p.exists() for p in stale) and fresh.exists()
    assert backup.list_backups(settings) == [made]


def _anchor_now(settings: Settings) -> None:
    with session_scope(get_engine(settings)) as s:
        audit.record(s, None, "login")
        head = audit.verify(s)
    assert head.ok
    audit.append_anchor(settings.audit_anchors_file, audit.make_anchor(head.checked, head.tip))


def test_the_audit_anchors_travel_with_the_backup(settings: Settings) -> None:
    """A restore puts back the anchors of the restored chain, so it still verifies; the later
    anchors it replaces are kept beside them."""
    SQLModel.metadata.create_all(get_engine(settings))
    _seed(settings)
    _anchor_now(settings)
    anchored = settings.audit_anchors_file.read_text()
    archive = backup.backup(settings)
    _anchor_now(settings)
    later = settings.audit_anchors_file.read_text()

    restore.restore(settings, archive)

    assert "audit/audit-anchors.jsonl" in {
        f["path"] for f in backup.read_manifest(archive)["files"]
    }
    assert settings.audit_anchors_file.read_text() == anchored
    assert (settings.data_dir / "audit-anchors.jsonl.before-restore").read_text() == later
    with session_scope(get_engine(settings)) as s:
        assert audit.verify(s).ok


def test_backup_without_database_is_refused(settings: Settings) -> None:
    with pytest.raises(BackupError) as err:
        backup.backup(settings)
    assert err.value.key == "backup.no_database"


def _rewrite(src: Path, dst: Path, edit: Callable[[str, bytes], bytes | None]) -> Path:
    """Copy an archive entry by entry through ``edit`` (None drops the entry)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = edit(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


def _edit_manifest(change: Callable[[dict], None]) -> Callable[[str, bytes], bytes | None]:
    def edit(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return edit


def _flip_attachment_byte(name: str, data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 1]) if name.startswith("attachments/") else data


def _flip_database_byte(name: str, data: bytes) -> bytes:
    return (
        data[:200] + bytes([data[200] ^ 0xFF]) + data[201:]
        if name.startswith("database/")
        else data
    )


CORRUPTIONS: dict[str, tuple[str, Callable[[Path, Path], None]]] = {
    "truncated": (
        "backup.bad_archive",
        lambda src, dst: dst.write_bytes(src.read_bytes()[: src.stat().st_size // 2]),
    ),
    "not a zip": ("backup.bad_archive", lambda _src, dst: dst.write_bytes(b"hello")),
    "attachment bit flip": (
        "backup.checksum_mismatch",
        lambda src, dst: _rewrite(src, dst, _flip_attachment_byte),
    ),
    "database bit flip": (
        "backup.checksum_mismatch",
        lambda src, dst: _rewrite(src, dst, _flip_database_byte),
    ),
    "no manifest": (
        "backup.bad_archive",
        lambda src, dst: _rewrite(src, dst, lambda n, d: None if n == "manifest.json" else d),
    ),
    "missing file": (
        "backup.bad_archive",
        lambda src, dst: _rewrite(src, dst, lambda n, d: None if n.startswith("attach") else d),
    ),
    "wrong backend": (
        "backup.wrong_backend",
        lambda src, dst: _rewrite(
            src, dst, _edit_manifest(lambda m: m.update(backend="postgresql"))
        ),
    ),
    "newer schema": (
        "backup.newer_schema",
        lambda src, dst: _rewrite(
            src, dst, _edit_manifest(lambda m: m.update(alembic_revision="9999_future"))
        ),
    ),
    "future format": (
        "backup.unsupported_version",
        lambda src, dst: _rewrite(src, dst, _edit_manifest(lambda m: m.update(format_version=2))),
    ),
}


def _with_traversal_entry(src: Path, dst: Path) -> None:
    shutil.copy(src, dst)
    with zipfile.ZipFile(dst, "a") as zf:
        zf.writestr("../../escaped.txt", b"boo")

    def change(m: dict) -> None:
        m["files"].append(
            {"path": "../../escaped.txt", "size": 3, "sha256": hashlib.sha256(b"boo").hexdigest()}
        )

    _rewrite(dst, dst.with_suffix(".tmp"), _edit_manifest(change))
    dst.with_suffix(".tmp").replace(dst)


CORRUPTIONS["path traversal"] = ("backup.bad_archive", _with_traversal_entry)


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupted_archive_changes_nothing(settings: Settings, tmp_path: Path, case: str) -> None:
    SQLModel.metadata.create_all(get_engine(settings))
    _seed(settings)
    good = backup.backup(settings)
    _mutate(settings)
    before = _state(settings)

    key, corrupt = CORRUPTIONS[case]
    bad = tmp_path / "bad.zip"
    corrupt(good, bad)
    with pytest.raises(BackupError) as err:
        restore.restore(settings, bad)
    assert err.value.key == key
    assert _state(settings) == before
    assert not list(settings.data_dir.glob(".restore-*"))
    assert not (tmp_path / "escaped.txt").exists()


def test_missing_pg_tools_give_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(
        data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    with pytest.raises(BackupError) as err:
        backup.backup(settings)
    assert (err.value.key, err.value.params) == ("backup.pg_tool_missing", {"tool": "pg_dump"})
    with pytest.raises(BackupError) as err:
        restore.restore(settings, tmp_path / "whatever.zip")
    assert err.value.params == {"tool": "pg_restore"}


@pytest.fixture
def pg_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not on PATH")
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    data = tmp_path / "data"
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(data))
    with temp_pg_database() as url:
        yield load_settings(data_dir=data, database_url=url)
        reset_engines()


@pytest.mark.postgres
def test_postgres_round_trip(pg_settings: Settings) -> None:
    migrate.upgrade(pg_settings)
    archive = _roundtrip(pg_settings)
    manifest = backup.read_manifest(archive)
    assert manifest["backend"] == "postgresql"
    assert manifest["alembic_revision"] == migrate.head_revision()
    assert "database/safeloop.pgdump" in {f["path"] for f in manifest["files"]}
