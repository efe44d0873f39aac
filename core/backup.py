"""Whole-installation backup and restore: one .zip with the database and the attachments.

Layout: ``manifest.json`` (format, created_at, backend, alembic revision, every file with
size and sha256), ``database/safeloop.db`` (SQLite) or ``database/safeloop.pgdump``
(PostgreSQL custom format) and ``attachments/...`` mirroring ``settings.attachments_dir``.

The database is copied before the attachments: files are written before their rows commit,
so every attachment the snapshot references is in the archive. A restore unpacks and checks
everything into a staging folder first — a damaged or foreign archive changes nothing — and
only then swaps the database and the attachment folder. Stop the detector (any other process
using the database) before a restore. Progress messages are i18n keys (``backup.step.*``).
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
import zipfile
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from core.config import Settings
from core.db import make_engine, reset_engines, utcnow
from core.i18n import Translatable
from core.migrate import current_revision, known_revisions, upgrade

Progress = Callable[[float, str], None]

FORMAT = "safeloop-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_ENTRY = {"sqlite": "database/safeloop.db", "postgresql": "database/safeloop.pgdump"}
ATTACHMENTS_PREFIX = "attachments/"
_BLOB_RE = re.compile(r"attachments/([0-9a-f]{2})/(\1[0-9a-f]{62})")
_THUMB_RE = re.compile(r"attachments/thumbs/[0-9a-f]{64}\.jpg")
_CHUNK = 1 << 20
_SQLITE_MAX_RESTARTS = 3
_PG_LOCK_TIMEOUT_MS = 30_000


class BackupError(Translatable):
    """A refused backup or restore; ``key``/``params`` feed the i18n catalogue."""

    def __init__(self, key: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(key, **(params or {}))


@dataclass(frozen=True)
class _Staged:
    manifest: dict[str, Any]
    database: Path
    attachments: Path


def _reporter(progress: Progress | None) -> Progress:
    """Wrap the caller's callback so the bar never moves backwards (SQLite copy restarts)."""
    high = [0.0]

    def report(fraction: float, message: str) -> None:
        high[0] = max(high[0], min(fraction, 1.0))
        if progress is not None:
            progress(high[0], message)

    return report


def _backend(settings: Settings) -> str:
    return make_url(settings.db_url).get_backend_name()


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.db_url).database or "")


# ---------------------------------------------------------------- external PostgreSQL tools


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError("backup.pg_tool_missing", {"tool": name})
    return path


def _run_pg_tool(settings: Settings, args: list[str]) -> None:
    """Run pg_dump/pg_restore with the password in the environment, not on the command line."""
    url = make_url(settings.db_url)
    env = dict(os.environ, PGOPTIONS=f"-c lock_timeout={_PG_LOCK_TIMEOUT_MS}")
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    tool = _pg_tool(args[0])
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
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            digest.update(chunk)
            dst.write(chunk)
    return {"path": arcname, "size": info.file_size, "sha256": digest.hexdigest()}


def _is_attachment_entry(name: str) -> bool:
    return bool(_BLOB_RE.fullmatch(name) or _THUMB_RE.fullmatch(name))


def _attachment_files(settings: Settings) -> list[tuple[Path, str]]:
    root = settings.attachments_dir
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        arcname = ATTACHMENTS_PREFIX + path.relative_to(root).as_posix()
        if path.is_file() and _is_attachment_entry(arcname):  # skips .tmp- leftovers
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
    report = _reporter(progress)
    backend = _backend(settings)
    if backend == "sqlite" and not _sqlite_path(settings).is_file():
        raise BackupError("backup.no_database")
    if backend == "postgresql":
        _pg_tool("pg_dump")
    target = _default_target(settings, dest)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    revision = _revision(settings)
    report(0.0, "backup.step.database")

    with tempfile.TemporaryDirectory(dir=settings.data_dir, prefix=".backup-") as tmp:
        db_copy = Path(tmp) / "database"
        if backend == "sqlite":
            _copy_sqlite(_sqlite_path(settings), db_copy, report, (0.0, 0.4))
        else:
            _run_pg_tool(
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
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": utcnow().isoformat(),
                    "backend": backend,
                    "alembic_revision": revision,
                    "files": files,
                }
                zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
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
            return _load_manifest(zf)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError("backup.bad_archive", {"reason": str(exc)}) from exc


# ---------------------------------------------------------------------------- restore


def _load_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
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
        if path != DB_ENTRY[backend] and not _is_attachment_entry(path):
            raise BackupError("backup.bad_archive", {"reason": f"unexpected entry {path}"})


def _extract(zf: zipfile.ZipFile, entry: dict[str, Any], dest: Path) -> None:
    """Copy one entry out, refusing it unless size and sha256 match the manifest."""
    path = entry["path"]
    blob = _BLOB_RE.fullmatch(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with zf.open(path) as src, dest.open("wb") as out:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
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
            manifest = _load_manifest(zf)
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
        shutil.copyfileobj(fin, fout, _CHUNK)
        fout.flush()
        os.fsync(fout.fileno())


def _replace_sqlite(settings: Settings, staged_db: Path) -> None:
    """Swap the SQLite file atomically; stale -wal/-shm must go or they would be replayed."""
    db_path = _sqlite_path(settings)
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
    _run_pg_tool(
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


def restore(settings: Settings, archive: Path, progress: Progress | None = None) -> None:
    """Replace the database and attachments with the archive's, after verifying all of it.

    Raises BackupError (nothing changed) for a damaged, foreign or newer archive. An archive
    from an older schema is migrated to the current head afterwards.
    """
    report = _reporter(progress)
    backend = _backend(settings)
    if backend == "postgresql":
        _pg_tool("pg_restore")
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
    reset_engines()
    if staged.manifest.get("alembic_revision") is not None:
        upgrade(settings)
    report(1.0, "backup.step.done")
