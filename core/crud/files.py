"""Attachments of managed rows, with the row's permission and scope rules applied.

``core.attachments`` stores bytes; this module decides who may attach to or read from a row.
"""

from __future__ import annotations

from sqlmodel import Session

from core import attachments, audit
from core.config import Settings
from core.crud.registry import TableSpec
from core.crud.service import NotFound, get_row
from core.rbac import Actor
from models.enums import Action
from models.system import Attachment


def attach(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    row_id: int,
    data: bytes,
    filename: str,
    settings: Settings,
) -> Attachment:
    """Store an upload on a row the actor may edit; audited."""
    actor.require(spec.module, Action.EDIT)
    row = get_row(session, spec, actor, row_id, include_deleted=False)
    item = attachments.store(
        session,
        data=data,
        filename=filename,
        table_name=spec.name,
        row_id=row_id,
        enterprise_id=getattr(row, "enterprise_id", None),
        actor_id=actor.user_id,
        settings=settings,
    )
    audit.record(
        session,
        actor,
        "attachment_add",
        table_name=spec.name,
        row_id=row_id,
        enterprise_id=item.enterprise_id,
        detail={"attachment_id": item.id, "filename": item.filename, "sha256": item.sha256},
    )
    return item


def listed(session: Session, spec: TableSpec, actor: Actor, row_id: int) -> list[Attachment]:
    get_row(session, spec, actor, row_id)
    return attachments.list_for(session, spec.name, row_id)


def fetch(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    attachment_id: int,
    settings: Settings,
    *,
    thumbnail: bool = False,
) -> tuple[Attachment, bytes | None]:
    """An attachment's bytes, only if its row is visible to the actor."""
    item = session.get(Attachment, attachment_id)
    if item is None or item.table_name != spec.name or item.deleted_at is not None:
        raise NotFound()
    get_row(session, spec, actor, item.row_id)
    if thumbnail:
        return item, attachments.read_thumbnail(item, settings)
    return item, attachments.read(item, settings)
