"""Resolve foreign-key input (an id or a display name) to an id the actor may reach.

Imports resolve thousands of names, so lookups are cached and can be prefetched in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlmodel import Session, select

from core.crud.english import reference_english
from core.crud.fields import FieldSpec
from core.crud.registry import TableSpec, get_spec
from core.crud.validate import Invalid
from core.rbac import REFERENCE_SCOPE, Actor, scope_clause
from models.org import Department


def visible(spec: TableSpec, actor: Actor, *, include_deleted: bool = False) -> Any:
    """A SELECT of ``spec.model`` limited to the actor's scope (and live rows). A detail
    register with no scope columns of its own (a paper's rules, a course's materials) is
    seen with its parent record: another enterprise's or a draft course's rows stay hidden."""
    stmt = select(spec.model)
    clause = scope_clause(spec.model, spec.scope, actor, module=spec.module)
    if clause is not None:
        stmt = stmt.where(clause)
    if spec.parent is not None and spec.scope == REFERENCE_SCOPE:
        parent = get_spec(spec.field(spec.parent).fk or "")
        parents = visible(parent, actor).with_only_columns(parent.model.id)
        stmt = stmt.where(getattr(spec.model, spec.parent).in_(parents))
    if not include_deleted:
        stmt = stmt.where(spec.model.deleted_at.is_(None))
    return stmt


class FkResolver:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self._names: dict[tuple[str, str], list[int]] = {}
        self._ids: dict[tuple[str, int], bool] = {}

    def prefetch(self, f: FieldSpec, values: set[Any]) -> None:
        target = get_spec(f.fk or "")
        # Two columns may point at one table (department and owner department): names
        # already looked up stay as they are, or each id would be listed twice.
        names = {str(v) for v in values if not isinstance(v, int)}
        names = {n for n in names if (target.name, n) not in self._names}
        title = getattr(target.model, target.title_field)
        for chunk in _chunks(sorted(names), 500):
            stmt = visible(target, self.actor).where(title.in_(chunk))
            for row in self.session.exec(stmt):
                self._names.setdefault((target.name, getattr(row, target.title_field)), []).append(
                    row.id
                )
        for name in names:
            self._names.setdefault((target.name, name), [])

    def resolve(self, f: FieldSpec, value: Any) -> int | None:
        if value is None:
            return None
        target = get_spec(f.fk or "")
        if isinstance(value, int) and self._id_visible(target, value):
            return value
        key = (target.name, str(value))
        if key not in self._names:
            self.prefetch(f, {str(value)})
        ids = self._names[key]
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise Invalid("validation.fk_ambiguous", value=value)
        if str(value).isdigit() and self._id_visible(target, int(value)):
            return int(value)
        raise Invalid("validation.fk_missing", value=value)

    def _id_visible(self, target: TableSpec, row_id: int) -> bool:
        key = (target.name, row_id)
        if key not in self._ids:
            stmt = visible(target, self.actor).where(target.model.id == row_id)
            self._ids[key] = self.session.exec(stmt).first() is not None
        return self._ids[key]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _named(spec: TableSpec, lang: str | None) -> tuple[Any, Any, Callable[[Any, Any], Any]]:
    """The title column, a second column, and how the two give the name shown in ``lang``:
    in English a reference row's ``<title>_en`` column, or the English form its shipped file
    gives (matched by key); the title itself otherwise."""
    title = getattr(spec.model, spec.title_field)
    if lang == "en":
        english = getattr(spec.model, f"{spec.title_field}_en", None)
        if english is not None:
            return title, english, lambda name, other: other or name
        key, names = reference_english(spec.name, spec.title_field)
        if names:
            return title, getattr(spec.model, key), lambda name, other: names.get(other) or name
    return title, title, lambda name, _other: name


def titles(
    session: Session,
    table: str,
    ids: Iterable[int],
    actor: Actor | None = None,
    *,
    lang: str | None = None,
) -> dict[int, str]:
    """Display names for ids (in ``lang`` where a reference row has an English name). Without
    ``actor`` for ids already on screen (they came from a scoped row); with it for ids that are
    not trusted (from a URL): only the rows the actor may see are named. An unregistered table
    names nothing."""
    wanted = sorted(set(ids))
    try:
        spec = get_spec(table)
    except KeyError:
        return {}
    if not wanted:
        return {}
    title, other, name = _named(spec, lang)
    stmt = select(spec.model.id, title) if actor is None else visible(spec, actor)
    stmt = stmt.with_only_columns(spec.model.id, title, other).where(spec.model.id.in_(wanted))
    return {row_id: str(name(t, o)) for row_id, t, o in session.execute(stmt).all()}


def visible_row(
    session: Session, table: str, actor: Actor, row_id: int, *, include_deleted: bool = False
) -> Any | None:
    """One row of ``table`` by id if the actor's scope reaches it, else None: for a row a page
    needs beside its own (the enterprise whose floor plan it draws, a permit's type), where
    the module grant of ``service.get_row`` does not apply."""
    stmt = visible(get_spec(table), actor, include_deleted=include_deleted)
    return session.exec(stmt.where(get_spec(table).model.id == row_id)).first()


def options(
    session: Session, table: str, actor: Actor, limit: int = 1000, *, lang: str | None = None
) -> dict[int, str]:
    """id → name of the rows a picker may offer this actor (scoped, live, alphabetical; names
    in ``lang`` where a reference row has an English name)."""
    spec = get_spec(table)
    title, other, name = _named(spec, lang)
    stmt = visible(spec, actor).with_only_columns(spec.model.id, title, other)
    rows = session.execute(stmt.order_by(title).limit(limit)).all()
    named = [(row_id, str(name(t, o))) for row_id, t, o in rows]
    if other is not title:
        named.sort(key=lambda pair: pair[1].casefold())
    return dict(named)


def departments_of(session: Session, actor: Actor, enterprise_id: int) -> dict[int, str]:
    """id → name of the enterprise's departments the actor may see (for filter pickers)."""
    spec = get_spec("department")
    stmt = visible(spec, actor).with_only_columns(Department.id, Department.name)
    stmt = stmt.where(Department.enterprise_id == enterprise_id).order_by(Department.name)
    return {i: n for i, n in session.execute(stmt).all()}
