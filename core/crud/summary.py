"""Counts behind module home pages and parent records, under the actor's scope: the same
SELECT as the list (``service.filtered``), so a figure always matches the rows it opens."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from core.crud.registry import Preset, TableSpec
from core.crud.service import ListQuery, filtered
from core.rbac import Actor


def _count(session: Session, spec: TableSpec, actor: Actor, q: ListQuery) -> int:
    stmt = filtered(session, spec, actor, q)
    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def count(session: Session, spec: TableSpec, actor: Actor, **filters: Any) -> int:
    """Rows of ``spec`` the actor may see (not deleted), with ``filters`` as the list takes."""
    return _count(session, spec, actor, ListQuery(filters=filters))


def count_preset(
    session: Session, spec: TableSpec, actor: Actor, preset: Preset, today: date
) -> int:
    """Rows behind a list preset (``f.<preset>=1``), as the list itself counts them."""
    where = (preset.where(today),) if preset.where is not None else ()
    return _count(session, spec, actor, ListQuery(filters=preset.filters(today), where=where))


def by_state(session: Session, spec: TableSpec, actor: Actor, field: str) -> dict[str, int]:
    """Visible rows per value of ``field`` (a workflow's state), values as stored names."""
    sub = filtered(session, spec, actor, ListQuery()).subquery()
    rows = session.execute(select(sub.c[field], func.count()).group_by(sub.c[field])).all()
    return {str(getattr(v, "value", v)): int(n) for v, n in rows if v is not None}
