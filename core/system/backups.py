"""Backups as an audited, permission-checked action (the CLI and the admin page share it)."""

from __future__ import annotations

from pathlib import Path

from core import audit, backup, restore
from core.config import Settings
from core.db import get_engine, session_scope
from core.rbac import Actor
from models.enums import Action, Module


def make_backup(
    actor: Actor,
    settings: Settings,
    dest: Path | None = None,
    progress: backup.Progress | None = None,
) -> Path:
    """Write a backup archive and record who made it."""
    actor.require(Module.SYSTEM, Action.CONFIGURE)
    path = backup.backup(settings, dest, progress=progress)
    with session_scope(get_engine(settings)) as session:
        audit.record(
            session, actor, "backup", detail={"file": path.name, "bytes": path.stat().st_size}
        )
    return path


def restore_backup(
    actor: Actor, settings: Settings, archive: Path, progress: backup.Progress | None = None
) -> None:
    """Replace database and attachments from an archive; the restored chain records it."""
    actor.require(Module.SYSTEM, Action.CONFIGURE)
    restore.restore(settings, archive, progress=progress)
    with session_scope(get_engine(settings)) as session:
        audit.record(session, actor, "restore_backup", detail={"file": archive.name})
