"""Columns readable only with a module action (``FieldSpec.read_action``): an exam's answer key
is read by the question bank's editors, while everyone who may view the bank sees the rest.

Unlike ``secret`` columns, which nobody sees, these are ordinary fields for those granted the
action; for everyone else every reading path leaves them out: lists (and their search, filters
and sort), details, exports, the history (masked at read time: the audit chain's stored values
are hashed and stay as written) and the SQL console's copy.
"""

from __future__ import annotations

from sqlmodel import Session

from core.crud.custom import effective_fields
from core.crud.fields import FieldSpec
from core.crud.registry import TableSpec
from core.rbac import Actor


def unreadable(spec: TableSpec, actor: Actor) -> frozenset[str]:
    """The columns of ``spec`` the actor may not read."""
    return frozenset(
        name for name, action in spec.readers.items() if not actor.can(spec.module, action)
    )


def readable(spec: TableSpec, actor: Actor, specs: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    """``specs`` without the fields the actor may not read."""
    hidden = unreadable(spec, actor)
    return tuple(f for f in specs if f.name not in hidden) if hidden else specs


def readable_fields(session: Session, spec: TableSpec, actor: Actor) -> tuple[FieldSpec, ...]:
    """The table's fields (custom ones included) as the actor may read them."""
    return readable(spec, actor, effective_fields(session, spec))
