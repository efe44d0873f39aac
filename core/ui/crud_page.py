"""The generic module page: list, detail, create, import and export from one TableSpec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.config import get_settings
from core.crud import excel, present, service, url_filters
from core.crud.custom import effective_fields
from core.crud.fields import BOOL, CHOICE, FK, JSON, MULTICHOICE, TAGS, FieldSpec
from core.crud.lookup import visible
from core.crud.registry import TableSpec, get_spec
from core.db import session_scope
from core.rbac import Actor
from core.ui.context import lang, show_flash, tr
from core.ui.detail import render_detail
from core.ui.forms import form_inputs, submit
from core.ui.nav import guard
from core.ui.widgets import filter_input
from models.enums import Action

PAGE_SIZES = (20, 50, 100, 200)
DetailExtra = Callable[[Session, Actor, Any], None]


def render_table_page(
    name: str,
    *,
    create_form: Callable[[Actor], None] | None = None,
    detail_extra: DetailExtra | None = None,
) -> None:
    """Everything a table needs on one screen; ``create_form`` and ``detail_extra`` let a
    page replace the create tab or add actions under a record (e.g. reset a password)."""
    spec = get_spec(name)
    actor = guard(spec.module)
    st.title(tr(spec.label_key))
    show_flash()
    tabs = {"list": tr("crud.tab_list")}
    if actor.can(spec.module, Action.CREATE) and (spec.allow_create or create_form):
        tabs["new"] = tr("crud.tab_new")
        if spec.allow_create:
            tabs["import"] = tr("crud.tab_import")
    if actor.can(spec.module, Action.EXPORT):
        tabs["export"] = tr("crud.tab_export")
    panes = dict(zip(tabs, st.tabs(list(tabs.values())), strict=True))
    with panes["list"]:
        query = _list(spec, actor, detail_extra)
    if "new" in panes:
        with panes["new"]:
            (create_form or (lambda a: _create_form(spec, a)))(actor)
    if "import" in panes:
        with panes["import"]:
            _import(spec, actor)
    if "export" in panes:
        with panes["export"]:
            _export(spec, actor, query)


def _query(
    session: Session, spec: TableSpec, actor: Actor, specs: tuple[FieldSpec, ...]
) -> service.ListQuery:
    key = f"{spec.name}_q"
    linked = _url_filters(session, spec, actor, specs, key)
    search = st.text_input(
        tr("common.search"),
        key=f"{key}_search",
        placeholder=" / ".join(
            spec.field(n).label_in(lang()) for n in spec.search if not n.startswith("extra.")
        ),
    )
    filters: dict[str, Any] = {}
    filterable = [f for f in specs if f.filter and f.name not in linked.fields]
    if filterable:
        with st.expander(tr("common.filters")):
            cols = st.columns(min(4, len(filterable)))
            for i, f in enumerate(filterable):
                with cols[i % len(cols)]:
                    filters[f.name] = filter_input(session, actor, f, f"{key}_f_{f.name}")
    sortable = [
        f for f in specs if f.in_list and not f.custom and f.kind not in (JSON, MULTICHOICE, TAGS)
    ]
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    default_sort = spec.default_sort[0]
    sort_options = [default_sort, *[f.name for f in sortable if f.name != default_sort]]
    sort = c1.selectbox(
        tr("common.sort_by"),
        sort_options,
        key=f"{key}_sort",
        format_func=lambda n: tr("common.id") if n == "id" else spec.field(n).label_in(lang()),
    )
    desc = c2.toggle(tr("common.descending"), value=spec.default_sort[1], key=f"{key}_desc")
    size = c3.selectbox(tr("common.page_size"), PAGE_SIZES, index=1, key=f"{key}_size")
    deleted = False
    if actor.can(spec.module, Action.DELETE):
        deleted = c4.toggle(tr("common.show_deleted"), key=f"{key}_deleted")
    page = st.session_state.get(f"{key}_page", 1)
    return service.ListQuery(
        search=search,
        filters=url_filters.narrow(linked.filters, filters),
        where=tuple(linked.where),
        sort=sort,
        descending=desc,
        page=page,
        page_size=size,
        deleted=deleted,
    )


def _url_filters(
    session: Session, spec: TableSpec, actor: Actor, specs: tuple[FieldSpec, ...], key: str
) -> url_filters.UrlFilters:
    """The ``?f.<field>=…`` filters a link (a cockpit tile) opened the list with: said in a
    caption with a button to drop them; parameters that do not fit are named, not raised."""
    params = {k: st.query_params.get(k, "") for k in st.query_params}
    linked = url_filters.parse(
        spec.name, specs, params, today=site_today(), zone=get_settings().timezone
    )
    if linked.ignored:
        st.warning(tr("cockpit.filter.ignored", params="; ".join(linked.ignored)))
    if linked.applied:
        shown = "; ".join(_describe(session, actor, item, value) for item, value in linked.applied)
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.caption(tr("cockpit.filter.applied", filters=shown))
        if c2.button(tr("cockpit.filter.clear"), key=f"{key}_url_clear"):
            for name in [k for k in st.query_params if k.startswith(url_filters.PREFIX)]:
                del st.query_params[name]
            st.rerun()
    return linked


def _describe(session: Session, actor: Actor, item: Any, value: Any) -> str:
    """One URL filter as people read it: ``状态: 已确认、整改中`` or a preset's name."""
    if isinstance(item, url_filters.Preset):
        return tr(item.label)
    code = lang()
    if item.kind == CHOICE:
        text = "、".join(item.choice_label(v, code) for v in value)
    elif item.kind == FK:
        names = _fk_names(session, actor, item.fk or "", value)
        text = "、".join(names.get(v, f"#{v}") for v in value)
    elif item.kind == BOOL:
        text = tr("common.yes" if value else "common.no")
    elif isinstance(value, tuple):
        low, high = value
        text = str(low) if low == high else f"{low or '…'} – {high or '…'}"
    else:
        text = str(value)
    return f"{item.label_in(code)}: {text}"


def _fk_names(session: Session, actor: Actor, table: str, ids: list[int]) -> dict[int, str]:
    """Names of the linked rows the actor may see (an id from a URL is not trusted)."""
    try:
        target = get_spec(table)
    except KeyError:
        return {}
    model = target.model
    stmt = visible(target, actor).with_only_columns(model.id, getattr(model, target.title_field))
    return {i: str(n) for i, n in session.execute(stmt.where(model.id.in_(ids))).all()}


def _list(spec: TableSpec, actor: Actor, detail_extra: DetailExtra | None) -> service.ListQuery:
    with session_scope() as session:
        specs = effective_fields(session, spec)
        q = _query(session, spec, actor, specs)
        page = service.list_rows(session, spec, actor, q)
        if page.page > page.pages:
            q.page = st.session_state[f"{spec.name}_q_page"] = page.pages
            page = service.list_rows(session, spec, actor, q)
        shown = tuple(f for f in specs if f.in_list)
        rows = present.table_rows(session, shown, page.rows, lang())
    frame = pd.DataFrame(rows, columns=["id", *(f.name for f in shown)])
    frame.columns = [tr("common.id"), *(f.label_in(lang()) for f in shown)]
    if frame.empty:
        st.info(tr("common.no_rows"))
    event = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"{spec.name}_grid",
    )
    c1, c2 = st.columns([1, 3])
    c1.number_input(
        tr("common.page"), min_value=1, max_value=page.pages, step=1, key=f"{spec.name}_q_page"
    )
    c2.caption(tr("common.page_info", page=page.page, pages=page.pages, total=page.total))
    picked = event.selection.rows if event and event.selection else []
    linked = st.query_params.get("id", "")
    if picked and picked[0] < len(rows):
        with session_scope() as session:
            render_detail(session, spec, actor, rows[picked[0]]["id"], detail_extra)
    elif linked.isdigit():  # opened from a to-do or a message: ?id=<row id>
        with session_scope() as session:
            render_detail(session, spec, actor, int(linked), detail_extra)
    else:
        st.caption(tr("common.select_row"))
    return q


def _create_form(spec: TableSpec, actor: Actor) -> None:
    key = f"{spec.name}_new"
    with session_scope() as session, st.form(key, clear_on_submit=False):
        raw = form_inputs(session, actor, effective_fields(session, spec), None, key)
        pressed = st.form_submit_button(tr("common.save"), type="primary")
    if pressed and submit(
        key, lambda s: service.create_row(s, spec, actor, raw), tr("common.saved")
    ):
        st.rerun()


def _import(spec: TableSpec, actor: Actor) -> None:
    with session_scope() as session:
        data = excel.template(session, spec, actor, lang())
    st.download_button(
        tr("crud.template"), data, file_name=f"{spec.name}_template.xlsx", key=f"{spec.name}_tpl"
    )
    upload = st.file_uploader(tr("crud.import_file"), type=["xlsx"], key=f"{spec.name}_upload")
    if upload is None or not st.button(
        tr("crud.import_run"), type="primary", key=f"{spec.name}_imp"
    ):
        return
    bar = st.progress(0.0)
    with session_scope() as session:
        report = excel.import_rows(
            session,
            spec,
            actor,
            upload.getvalue(),
            lang(),
            filename=upload.name,
            progress=lambda p, m: bar.progress(p, m),
        )
    bar.empty()
    if report.ok:
        st.success(tr("crud.import_ok", count=report.created))
        return
    st.error(tr("crud.import_failed", count=len(report.errors)))
    st.dataframe(
        pd.DataFrame(
            [(e.row, e.column, e.message) for e in report.errors],
            columns=[tr("crud.import_row"), tr("crud.import_column"), tr("crud.import_message")],
        ),
        hide_index=True,
        width="stretch",
        key=f"{spec.name}_imp_errors",
    )


def _export(spec: TableSpec, actor: Actor, q: service.ListQuery) -> None:
    st.caption(tr("crud.export_hint"))
    c1, c2 = st.columns(2)
    for col, fmt in ((c1, "xlsx"), (c2, "csv")):
        if col.button(tr(f"crud.export_{fmt}"), key=f"{spec.name}_exp_{fmt}"):
            bar = st.progress(0.0)
            with session_scope() as session:
                data = excel.export(session, spec, actor, q, fmt, lang(), progress=bar.progress)
            bar.empty()
            st.session_state[f"{spec.name}_export"] = (fmt, data)
    ready = st.session_state.get(f"{spec.name}_export")
    if ready:
        fmt, data = ready
        mime = (
            "text/csv"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        st.download_button(
            tr("common.download"),
            data,
            file_name=f"{spec.name}.{fmt}",
            mime=mime,
            key=f"{spec.name}_exp_dl",
            type="primary",
        )
