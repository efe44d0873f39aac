"""Restore a backup archive (``core.backup`` writes them): unpack and check everything into a
staging folder first — a damaged or foreign archive changes nothing — and only then swap the
database, the attachment folder and the audit anchors. Stop the detector (any other process
using the database) before a restore.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
import zipfile
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.backup import (
    ANCHORS_ENTRY,
    ATTACHMENTS_PREFIX,
    BLOB_RE,
    CHUNK,
    DB_ENTRY,
    MANIFEST,
    BackupError,
    Progress,
    backend_of,
    is_attachment_entry,
    load_manifest,
    pg_tool,
    reporter,
    run_pg_tool,
    sqlite_path,
)
from core.config import Settings
from core.db import reset_engines
from core.migrate import known_revisions, upgrade


@dataclass(frozen=True)
class _Staged:
    manifest: dict[str, Any]
    database: Path
    attachments: Path


def _check_entries(zf: zipfile.ZipFile, manifest: dict[str, Any], backend: str) -> None:
    """Exactly the listed files, one database for this backend, only well-formed names."""
    if manifest.get("backend") != backend:
        raise BackupError(
            "backup.wrong_backend", {"archive": manifest.get("backend"), "current": backend}
        )
    revision = manifest.get("alembic_revision")
    if revision is not None and revision not in known_revisions():
        raise BackupError("backup.newer_schema", {"revision": revision})
    paths = [f["path"] for f in manifest["files"]]
    names = zf.namelist()
    if (
        len(set(names)) != len(names)
        or set(names) != {*paths, MANIFEST}
        or len(set(paths)) != len(paths)
    ):
        raise BackupError("backup.bad_archive", {"reason": "entries"})
    if paths.count(DB_ENTRY[backend]) != 1:
        raise BackupError("backup.bad_archive", {"reason": "database"})
    for path in paths:
        if path not in (DB_ENTRY[backend], ANCHORS_ENTRY) and not is_attachment_entry(path):
            raise BackupError("backup.bad_archive", {"reason": f"unexpected entry {path}"})


def _extract(zf: zipfile.ZipFile, entry: dict[str, Any], dest: Path) -> None:
    """Copy one entry out, refusing it unless size and sha256 match the manifest."""
    path = entry["path"]
    blob = BLOB_RE.fullmatch(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with zf.open(path) as src, dest.open("wb") as out:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            size += len(chunk)
            if size > entry["size"]:  # stop a lying entry before it fills the disk
                raise BackupError("backup.checksum_mismatch", {"path": path})
            digest.update(chunk)
            out.write(chunk)
    sha = digest.hexdigest()
    if size != entry["size"] or sha != entry["sha256"] or (blob and blob.group(2) != sha):
        raise BackupError("backup.checksum_mismatch", {"path": path})


def _stage(archive: Path, staging: Path, backend: str, report: Progress) -> _Staged:
    """Unpack and verify everything; raises BackupError before anything live is touched."""
    try:
        with zipfile.ZipFile(archive) as zf:
            manifest = load_manifest(zf)
            _check_entries(zf, manifest, backend)
            attachments = staging / "attachments"
            attachments.mkdir()
            database = staging / "database"
            files = manifest["files"]
            for i, entry in enumerate(files, start=1):
                path = entry["path"]
                dest = (
                    database
                    if path.startswith("database/")
                    else staging / "anchors"
                    if path == ANCHORS_ENTRY
                    else attachments.joinpath(*path.removeprefix(ATTACHMENTS_PREFIX).split("/"))
                )
                _extract(zf, entry, dest)
                report(0.6 * i / len(files), "backup.step.verify")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise BackupError("backup.bad_archive", {"reason": str(exc)}) from exc
    if backend == "sqlite":
        try:
            with closing(sqlite3.connect(database)) as conn:
                ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            ok = False
        if not ok:
            raise BackupError("backup.bad_archive", {"reason": "database integrity"})
    return _Staged(manifest, database, attachments)


def _fsync_copy(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, dst.open("wb") as fout:
        shutil.copyfileobj(fin, fout, CHUNK)
        fout.flush()
        os.fsync(fout.fileno())


def _replace_sqlite(settings: Settings, staged_db: Path) -> None:
    """Swap the SQLite file atomically; stale -wal/-shm must go or they would be replayed."""
    db_path = sqlite_path(settings)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    incoming = db_path.with_name(f".{db_path.name}.restore")
    _fsync_copy(staged_db, incoming)  # same folder as the target, so os.replace is atomic
    try:
        reset_engines()
        if db_path.exists():
            with closing(sqlite3.connect(db_path, timeout=30)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(incoming, db_path)
    finally:
        incoming.unlink(missing_ok=True)


def _replace_postgres(settings: Settings, staged_dump: Path) -> None:
    """pg_restore in one transaction: a failure leaves the current database as it was."""
    reset_engines()
    run_pg_tool(
        settings,
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(staged_dump),
        ],
    )


def _replace_tree(live: Path, staged: Path, trash: Path) -> None:
    """Swap folders by rename; when that is impossible (mount point), sync the contents."""
    try:
        if live.exists():
            os.replace(live, trash)
    except OSError:
        _sync_tree(staged, live)
        return
    try:
        os.replace(staged, live)
    except OSError:
        if trash.exists():
            os.replace(trash, live)
        _sync_tree(staged, live)


def _sync_tree(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    for rel in wanted:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, dst / rel)
    for path in sorted(dst.rglob("*"), reverse=True):
        rel = path.relative_to(dst)
        if path.is_file() and rel not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            with suppress(OSError):
                path.rmdir()


def _replace_anchors(settings: Settings, staged: Path) -> None:
    """The archive's anchors (none in an older archive) describe the restored chain."""
    live = settings.audit_anchors_file
    if live.exists():
        os.replace(live, live.with_name(live.name + ".before-restore"))
    if staged.exists():
        _fsync_copy(staged, live)


def restore(settings: Settings, archive: Path, progress: Progress | None = None) -> None:
    """Replace the database and attachments with the archive's, after verifying all of it.

    Raises BackupError (nothing changed) for a damaged, foreign or newer archive. An archive
    from an older schema is migrated to the current head afterwards.
    """
    report = reporter(progress)
    backend = backend_of(settings)
    if backend == "postgresql":
        pg_tool("pg_restore")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    report(0.0, "backup.step.verify")
    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".restore-") as tmp:
        staged = _stage(Path(archive), Path(tmp), backend, report)
        report(0.6, "backup.step.database")
        if backend == "sqlite":
            _replace_sqlite(settings, staged.database)
        else:
            _replace_postgres(settings, staged.database)
        report(0.85, "backup.step.attachments")
        _replace_tree(settings.attachments_dir, staged.attachments, Path(tmp) / "previous")
        _replace_anchors(settings, Path(tmp) / "anchors")
    reset_engines()
    if staged.manifest.get("alembic_revision") is not None:
        upgrade(settings)
    report(1.0, "backup.step.done")
