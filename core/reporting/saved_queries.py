"""Saved SQL console queries: each analyst keeps their own and may share them.

A shared query is visible to everyone in the owner's enterprise (park- and all-scoped users
see those of every enterprise they reach). Only the text travels: running it applies the
runner's own modules and scope, so sharing a query never shares data.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.audit import record
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.reporting.sharing import mine_first, mine_or_shared
from models.analytics import SavedQuery
from models.enums import Action, Module

NAME_MAX = 100
SQL_MAX = 20_000


class InvalidQuery(Translatable):
    """A saved query that cannot be stored (no name, no text, too long, not the owner)."""


def visible_queries(session: Session, actor: Actor) -> list[SavedQuery]:
    """The actor's own queries, then the shared ones they reach, each by name."""
    rows = session.exec(select(SavedQuery).where(mine_or_shared(SavedQuery, actor))).all()
    return mine_first(list(rows), actor)


def save_query(
    session: Session, actor: Actor, *, name: str, sql: str, shared: bool = False
) -> SavedQuery:
    """Store ``sql`` under ``name`` for the actor, replacing their query of that name."""
    actor.require(Module.ANALYTICS, Action.VIEW)
    name, sql = name.strip(), sql.strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidQuery("sql_console.saved.bad_name", max=NAME_MAX)
    if not sql or len(sql) > SQL_MAX:
        raise InvalidQuery("sql_console.saved.bad_sql", max=SQL_MAX)
    row = session.exec(
        select(SavedQuery).where(SavedQuery.owner_id == actor.user_id, SavedQuery.name == name)
    ).first()
    if row is None:
        row = SavedQuery(
            name=name,
            sql=sql,
            owner_id=actor.user_id,
            enterprise_id=actor.enterprise_id,
            department_id=actor.department_id,
            created_by=actor.user_id,
        )
    row.sqlmodel_update({"sql": sql, "shared": shared, "deleted_at": None, "updated_at": utcnow()})
    session.add(row)
    session.flush()
    detail = {"name": name, "shared": shared}
    record(session, actor, "sql_query_save", table_name="saved_query", row_id=row.id, detail=detail)
    return row


def delete_query(session: Session, actor: Actor, query_id: int) -> None:
    """Remove one of the actor's own queries (others' shared queries cannot be deleted). The
    row is kept, marked deleted, so a dashboard chart pinned to it can say what happened."""
    row = session.get(SavedQuery, query_id)
    if row is None or row.owner_id != actor.user_id or row.deleted_at is not None:
        raise InvalidQuery("sql_console.saved.not_owner")
    row.deleted_at = utcnow()
    session.add(row)
    record(
        session,
        actor,
        "sql_query_delete",
        table_name="saved_query",
        row_id=query_id,
        detail={"name": row.name},
    )
