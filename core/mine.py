""" "Mine": the records about a person or assigned to them, across every module.

A table takes part by declaring person columns in its scope (``ScopeColumns.about`` and
``assigned``); nothing else is listed here. Counts and the latest rows come through the same
scoped ``visible()`` as every list, so the home page never shows what the list would hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from core.crud import present, readers, service
from core.crud.lookup import visible
from core.crud.registry import TableSpec, all_specs, get_spec
from core.crud.service import ListQuery
from core.rbac import Actor, mine_clause
from models.enums import Action

LATEST = 3
SUMMARY_FIELDS = 3  # list columns that describe a row in one line


@dataclass(frozen=True)
class MineGroup:
    """One table's rows about or assigned to the viewer: how many, and the latest few."""

    table: str
    label: str  # catalogue key of the table's name
    page: str
    count: int
    latest: list[tuple[int, str]]


def _summaries(
    session: Session, spec: TableSpec, actor: Actor, rows: list, lang: str
) -> list[tuple[int, str]]:
    """One line per row from its first list columns the viewer may read (names, not ids),
    leaving out the person columns that made it "mine": the viewer knows it is them."""
    people = set(spec.scope.people)
    fields = readers.readable(spec, actor, spec.fields)
    shown = tuple(f for f in fields if f.in_list and f.name not in people)[:SUMMARY_FIELDS]
    lines = present.table_rows(session, shown, rows, lang)
    return [
        (line["id"], " · ".join(str(line[f.name]) for f in shown if line[f.name] not in ("", None)))
        for line in lines
    ]


def mine_for(session: Session, actor: Actor, lang: str) -> list[MineGroup]:
    """The viewer's groups, in installed order, leaving out empty ones."""
    if actor.person_id is None:
        return []
    groups = []
    for spec in all_specs():
        if not spec.scope.people or not spec.page or not actor.can(spec.module, Action.VIEW):
            continue
        stmt = visible(spec, actor).where(mine_clause(spec.model, spec.scope, actor))
        count = session.exec(select(func.count()).select_from(stmt.subquery())).one()
        if not count:
            continue
        latest = session.exec(
            stmt.order_by(spec.model.updated_at.desc(), spec.model.id.desc()).limit(LATEST)
        ).all()
        groups.append(
            MineGroup(
                spec.name,
                spec.label_key,
                spec.page,
                int(count),
                _summaries(session, spec, actor, list(latest), lang),
            )
        )
    return groups


def mine_rows(session: Session, actor: Actor, table: str, *, limit: int = 30) -> list:
    """The viewer's own rows of ``table`` (about them or assigned to them), in the table's
    usual order, through the same scoped list as the register; none for an account that is
    not linked to a person."""
    spec = get_spec(table)
    if actor.person_id is None or not actor.can(spec.module, Action.VIEW):
        return []
    where = (mine_clause(spec.model, spec.scope, actor),)
    return service.list_rows(session, spec, actor, ListQuery(where=where, page_size=limit)).rows
