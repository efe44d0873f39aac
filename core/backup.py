"""Whole-installation backup: one .zip with the database and the attachments (restored by
``core.restore``).

Layout: ``manifest.json`` (format, created_at, backend, alembic revision, every file with
size and sha256), ``database/safeloop.db`` (SQLite) or ``database/safeloop.pgdump``
(PostgreSQL custom format), ``attachments/...`` mirroring ``settings.attachments_dir`` and
``audit/audit-anchors.jsonl``, the audit chain's anchors (a restore puts back the anchors that
describe the restored chain and keeps the replaced file as ``*.before-restore``).

The database is copied before the attachments: files are written before their rows commit,
so every attachment the snapshot references is in the archive. The archive takes its name only
when complete (written as a hidden ``.part``). Progress messages are i18n keys
(``backup.step.*``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable
from contextlib import closing, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from core.config import Settings
from core.db import make_engine, utcnow
from core.i18n import Translatable
from core.migrate import current_revision

Progress = Callable[[float, str], None]

FORMAT = "safeloop-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_ENTRY = {"sqlite": "database/safeloop.db", "postgresql": "database/safeloop.pgdump"}
ATTACHMENTS_PREFIX = "attachments/"
ANCHORS_ENTRY = "audit/audit-anchors.jsonl"
BLOB_RE = re.compile(r"attachments/([0-9a-f]{2})/(\1[0-9a-f]{62})")
THUMB_RE = re.compile(r"attachments/thumbs/[0-9a-f]{64}\.jpg")
CHUNK = 1 << 20
#: Age after which a killed backup's staging folder or partial archive is swept away.
LEFTOVER_AGE_S = 6 * 3600
_SQLITE_MAX_RESTARTS = 3
_PG_LOCK_TIMEOUT_MS = 30_000


class BackupError(Translatable):
    """A refused backup or restore; ``key``/``params`` feed the i18n catalogue."""

    def __init__(self, key: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(key, **(params or {}))


def reporter(progress: Progress | None) -> Progress:
    """Wrap the caller's callback so the bar never moves backwards (SQLite copy restarts)."""
    high = [0.0]

    def report(fraction: float, message: str) -> None:
        high[0] = max(high[0], min(fraction, 1.0))
        if progress is not None:
            progress(high[0], message)

    return report


def backend_of(settings: Settings) -> str:
    return make_url(settings.db_url).get_backend_name()


def sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.db_url).database or "")


# ---------------------------------------------------------------- external PostgreSQL tools


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError("backup.pg_tool_missing", {"tool": name})
    return path


def run_pg_tool(settings: Settings, args: list[str]) -> None:
    """Run pg_dump/pg_restore with the password in the environment, not on the command line."""
    url = make_url(settings.db_url)
    env = dict(os.environ, PGOPTIONS=f"-c lock_timeout={_PG_LOCK_TIMEOUT_MS}")
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    tool = pg_tool(args[0])
    proc = subprocess.run(
        [tool, *args[1:], f"--dbname={uri}"], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        error = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise BackupError("backup.tool_failed", {"tool": args[0], "error": error})


# ---------------------------------------------------------------------------- backup


class _Restarted(Exception):
    """Another process keeps writing; fall back to a single-step copy."""


def _copy_sqlite(
    src_path: Path, dst_path: Path, report: Progress, span: tuple[float, float]
) -> None:
    """Online copy with the sqlite3 backup API (consistent even while others write).

    Stepping gives progress, but each write by another process restarts the copy; after a
    few restarts it falls back to one step, which reads a single WAL snapshot.
    """
    low, high = span
    state = {"remaining": -1, "restarts": 0}

    def on_step(_status: int, remaining: int, total: int) -> None:
        if remaining > state["remaining"] >= 0:  # source changed under us: copy restarted
            state["restarts"] += 1
            if state["restarts"] > _SQLITE_MAX_RESTARTS:
                raise _Restarted
        state["remaining"] = remaining
        done = 1 - remaining / total if total else 1.0
        report(low + (high - low) * done, "backup.step.database")

    with closing(sqlite3.connect(src_path, timeout=30)) as src:
        pages = src.execute("PRAGMA page_count").fetchone()[0]
        try:
            with closing(sqlite3.connect(dst_path)) as dst:
                src.backup(dst, pages=max(256, pages // 50), progress=on_step)
        except _Restarted:
            dst_path.unlink(missing_ok=True)
            with closing(sqlite3.connect(dst_path)) as dst:
                src.backup(dst)  # one step = one read snapshot; WAL lets writers go on
    with closing(sqlite3.connect(dst_path)) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal needed


def _add_file(zf: zipfile.ZipFile, path: Path, arcname: str) -> dict[str, Any]:
    """Stream one file into the zip, hashing as it goes."""
    info = zipfile.ZipInfo.from_file(path, arcname)
    info.compress_type = zipfile.ZIP_DEFLATED
    digest = hashlib.sha256()
    with path.open("rb") as src, zf.open(info, "w") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            dst.write(chunk)
    return {"path": arcname, "size": info.file_size, "sha256": digest.hexdigest()}


def is_attachment_entry(name: str) -> bool:
    return bool(BLOB_RE.fullmatch(name) or THUMB_RE.fullmatch(name))


def _attachment_files(settings: Settings) -> list[tuple[Path, str]]:
    root = settings.attachments_dir
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        arcname = ATTACHMENTS_PREFIX + path.relative_to(root).as_posix()
        if path.is_file() and is_attachment_entry(arcname):  # skips .tmp- leftovers
            found.append((path, arcname))
    return found


def _default_target(settings: Settings, dest: Path | None) -> Path:
    folder = settings.backups_dir if dest is None else dest
    if dest is not None and dest.suffix.lower() == ".zip":
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y%m%d-%H%M%S")  # local: what admins read
    target = folder / f"safeloop-{stamp}.zip"
    n = 2
    while target.exists():
        target = folder / f"safeloop-{stamp}-{n}.zip"
        n += 1
    return target


def _sweep_leftovers(*folders: Path) -> None:
    """Remove what a backup killed mid-way left behind (its staging folder, its ``.part``
    archive); only old ones, as a backup running beside this one owns fresh ones."""
    cutoff = time.time() - LEFTOVER_AGE_S
    for folder in folders:
        for path in [*folder.glob(".backup-*"), *folder.glob(".safeloop-*.zip.part")]:
            with suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()


def _revision(settings: Settings) -> str | None:
    engine = make_engine(settings.db_url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def backup(settings: Settings, dest: Path | None = None, progress: Progress | None = None) -> Path:
    """Write a backup archive and return its path.

    ``dest`` may be a folder or a ``.zip`` path; by default a timestamped file in
    ``settings.backups_dir``. The archive appears under its final name only when complete.
    """
    report = reporter(progress)
    backend = backend_of(settings)
    if backend == "sqlite" and not sqlite_path(settings).is_file():
        raise BackupError("backup.no_database")
    if backend == "postgresql":
        pg_tool("pg_dump")
    target = _default_target(settings, dest)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _sweep_leftovers(settings.data_dir, target.parent)
    revision = _revision(settings)
    report(0.0, "backup.step.database")

    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".backup-") as tmp:
        db_copy = Path(tmp) / "database"
        if backend == "sqlite":
            _copy_sqlite(sqlite_path(settings), db_copy, report, (0.0, 0.4))
        else:
            run_pg_tool(
                settings,
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={db_copy}",
                ],
            )
        report(0.4, "backup.step.attachments")

        part = target.with_name(f".{target.name}.part")
        try:
            with zipfile.ZipFile(part, "w", allowZip64=True) as zf:
                files = [_add_file(zf, db_copy, DB_ENTRY[backend])]
                attachments = _attachment_files(settings)
                for i, (path, arcname) in enumerate(attachments, start=1):
                    files.append(_add_file(zf, path, arcname))
                    report(0.4 + 0.55 * i / len(attachments), "backup.step.attachments")
                if settings.audit_anchors_file.is_file():
                    files.append(_add_file(zf, settings.audit_anchors_file, ANCHORS_ENTRY))
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": utcnow().isoformat(),
                    "backend": backend,
                    "alembic_revision": revision,
                    "files": files,
                }
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
            with part.open("rb") as written:  # on disk before it takes a backup's name
                os.fsync(written.fileno())
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
    report(1.0, "backup.step.done")
    return target


def list_backups(settings: Settings) -> list[Path]:
    """Archives in the default backup folder, newest first."""
    folder = settings.backups_dir
    if not folder.is_dir():
        return []
    return sorted(folder.glob("safeloop-*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive (for listing), after basic format checks."""
    try:
        with zipfile.ZipFile(archive) as zf:
            return load_manifest(zf)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError("backup.bad_archive", {"reason": str(exc)}) from exc


# ---------------------------------------------------------------------------- restore


def load_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise BackupError("backup.bad_archive", {"reason": "manifest"}) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("backup.bad_archive", {"reason": "format"})
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("backup.unsupported_version", {"version": manifest.get("format_version")})
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict)
        and isinstance(f.get("path"), str)
        and isinstance(f.get("size"), int)
        and isinstance(f.get("sha256"), str)
        for f in files
    ):
        raise BackupError("backup.bad_archive", {"reason": "file list"})
    return manifest
