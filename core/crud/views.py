"""What a generic list page shows, in one answer: the page asks once per render and draws.

The page reads its widgets' state (search, filters, sort, page) into a ``ListQuery``;
:func:`list_view` adds the URL's filters, applies the actor's scope and permissions, and
returns the rows already presented for display together with everything the widgets need
(filter choices, sort options, the URL filters' caption names), so no rule lives in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from core.crud import present, service, url_filters
from core.crud.fields import BOOL, CHOICE, FK, JSON, MULTICHOICE, TAGS, FieldSpec
from core.crud.lookup import options, titles
from core.crud.readers import readable_fields
from core.crud.registry import TableSpec
from core.i18n import t
from core.rbac import Actor
from models.enums import Action

#: Field kinds a list cannot sort by (their values are lists or documents).
UNSORTABLE = (JSON, MULTICHOICE, TAGS)


@dataclass(frozen=True)
class Permissions:
    """What the actor may do with the table (the page offers only these tabs and toggles)."""

    create: bool
    import_rows: bool
    export: bool
    delete: bool


@dataclass(frozen=True)
class ListView:
    """One render of a list: ``query`` is the query as run (URL filters merged, page clamped),
    for the export to repeat; ``rows`` are keyed by field name and ready to show."""

    fields: tuple[FieldSpec, ...]
    shown: tuple[FieldSpec, ...]
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    query: service.ListQuery
    linked: url_filters.UrlFilters
    linked_names: dict[str, dict[int, str]]
    filterable: tuple[FieldSpec, ...]
    filter_choices: dict[str, dict[int, str]]
    sort_options: dict[str, str]
    search_hint: str
    can: Permissions


def permissions(spec: TableSpec, actor: Actor) -> Permissions:
    """Creating needs the grant; importing also a table that takes new rows from the page."""
    create = actor.can(spec.module, Action.CREATE)
    return Permissions(
        create=create,
        import_rows=create and spec.allow_create,
        export=actor.can(spec.module, Action.EXPORT),
        delete=actor.can(spec.module, Action.DELETE),
    )


def sort_options(spec: TableSpec, specs: tuple[FieldSpec, ...], lang: str) -> dict[str, str]:
    """Column name → label, the default sort first; custom fields are stored in a JSON
    document, so they do not sort."""
    first = spec.default_sort[0]
    names = [first, *(f.name for f in specs if _sortable(f) and f.name != first)]
    by_name = {f.name: f for f in specs}
    return {n: t("common.id", lang) if n == "id" else by_name[n].label_in(lang) for n in names}


def _sortable(f: FieldSpec) -> bool:
    return f.in_list and not f.custom and f.kind not in UNSORTABLE


def _offered(f: FieldSpec, value: Any, choices: dict[int, str]) -> Any:
    """A filter pick as its widget keeps it: a choice or linked row it no longer offers (a
    row deleted since) is dropped, so the list never filters on what the widget does not show."""
    if f.kind == CHOICE and isinstance(value, list):
        return [v for v in value if v in f.choices]
    if f.kind == FK:
        return value if value in choices else None
    if f.kind == BOOL:
        return value if value is True or value is False else None
    return value


def list_view(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    query: service.ListQuery,
    *,
    lang: str,
    url_params: Mapping[str, str],
    today: date,
    zone: str,
) -> ListView:
    """The list ``query`` (the widgets' picks) asks for, narrowed by the ``f.*`` filters of
    ``url_params``; a page past the end shows the last page instead."""
    specs = readable_fields(session, spec, actor)
    can = permissions(spec, actor)
    linked = url_filters.parse(spec.name, specs, url_params, today=today, zone=zone, actor=actor)
    filterable = tuple(f for f in specs if f.filter and f.name not in linked.fields)
    choices = {
        f.name: options(session, f.fk or "", actor, lang=lang) for f in filterable if f.kind == FK
    }
    picked = {
        f.name: _offered(f, query.filters[f.name], choices.get(f.name, {}))
        for f in filterable
        if f.name in query.filters
    }
    sorts = sort_options(spec, specs, lang)
    run = replace(
        query,
        filters=url_filters.narrow(linked.filters, picked),
        where=(*query.where, *linked.where),
        sort=query.sort if query.sort in sorts else spec.default_sort[0],
        deleted=query.deleted and can.delete,
    )
    page = service.list_rows(session, spec, actor, run)
    if page.page > page.pages:
        run = replace(run, page=page.pages)
        page = service.list_rows(session, spec, actor, run)
    shown = tuple(f for f in specs if f.in_list)
    return ListView(
        fields=specs,
        shown=shown,
        columns=[t("common.id", lang), *(f.label_in(lang) for f in shown)],
        rows=present.table_rows(session, shown, page.rows, lang),
        total=page.total,
        page=page.page,
        pages=page.pages,
        query=run,
        linked=linked,
        linked_names={
            f.name: titles(session, f.fk or "", value, actor, lang=lang)
            for f, value in linked.applied
            if isinstance(f, FieldSpec) and f.kind == FK
        },
        filterable=filterable,
        filter_choices=choices,
        sort_options=sorts,
        search_hint=" / ".join(
            spec.field(n).label_in(lang)
            for n in spec.search
            if not n.startswith("extra.") and n in {f.name for f in specs}
        ),
        can=can,
    )
