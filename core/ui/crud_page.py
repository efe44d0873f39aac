"""The generic module page: list, detail, create, import and export from one TableSpec."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.config import get_settings
from core.crud import excel, service, url_filters
from core.crud.fields import BOOL, CHOICE, FK, FieldSpec
from core.crud.registry import TableSpec, get_spec
from core.crud.service import ListQuery
from core.crud.views import ListView, list_view
from core.db import session_scope
from core.rbac import Actor
from core.ui.audience_panel import render_audience
from core.ui.context import lang, show_flash, tr
from core.ui.detail import render_detail
from core.ui.forms import form_inputs, submit
from core.ui.nav import guard, page_link
from core.ui.uploads import upload_limit
from core.ui.widgets import filter_input, filter_value
from core.ui.workflow_panel import render_workflow
from core.workflow import flow_for

PAGE_SIZES = (20, 50, 100, 200)
DetailExtra = Callable[[Session, Actor, Any], None]


def render_table_page(
    name: str,
    *,
    create_form: Callable[[Actor], None] | None = None,
    detail_extra: DetailExtra | None = None,
) -> None:
    """Everything a table needs on one screen; ``create_form`` and ``detail_extra`` let a
    page replace the create tab or add actions under a record (e.g. reset a password). A
    table with a declared workflow gets its steps and history under each record."""
    spec = get_spec(name)
    detail_extra = detail_extra or _declared_extras(spec)
    actor = guard(spec.module)
    _back_link(spec, actor)
    st.title(tr(spec.label_key))
    show_flash()
    view = _view(spec, actor)
    tabs = {"list": tr("crud.tab_list")}
    if view.can.create and (spec.allow_create or create_form):
        tabs["new"] = tr("crud.tab_new")
        if view.can.import_rows:
            tabs["import"] = tr("crud.tab_import")
    if view.can.export:
        tabs["export"] = tr("crud.tab_export")
    panes = dict(zip(tabs, st.tabs(list(tabs.values())), strict=True))
    with panes["list"]:
        _list(spec, actor, view, detail_extra)
    if "new" in panes:
        with panes["new"]:
            (create_form or (lambda a: _create_form(spec, a, view.fields)))(actor)
    if "import" in panes:
        with panes["import"]:
            _import(spec, actor)
    if "export" in panes:
        with panes["export"]:
            _export(spec, actor, view.query)


def _back_link(spec: TableSpec, actor: Actor) -> None:
    """Up one level: a detail register to its parent record, a reference list to the
    settings, a register to its module's home page."""
    if spec.parent:
        parent = get_spec(spec.field(spec.parent).fk or "")
        record = st.query_params.get(f"f.{spec.parent}", "")
        query = {"id": record} if record.isdigit() else None
        if parent.page:
            label = f"← {tr(parent.label_key)}"
            page_link(actor, parent.page, label=label, query_params=query)
    elif spec.nav_group:
        page_link(actor, "pages/settings_home.py", label=f"← {tr('page.settings_home')}")
    else:
        label = f"← {tr(f'module.{spec.module}')}"
        page_link(actor, f"pages/{spec.module}_home.py", label=label)


def _view(spec: TableSpec, actor: Actor) -> ListView:
    """The one question this render asks the engine about the list."""
    with session_scope() as session:
        view = list_view(
            session,
            spec,
            actor,
            _picked(spec),
            lang=lang(),
            url_params={k: st.query_params.get(k, "") for k in st.query_params},
            today=site_today(),
            zone=get_settings().timezone,
        )
    page_key = f"{spec.name}_q_page"
    if view.page != st.session_state.get(page_key, 1):  # past the end: the last page
        st.session_state[page_key] = view.page
    return view


def _picked(spec: TableSpec) -> ListQuery:
    """What the list's widgets hold since the user's last input, read before they are drawn:
    the list view needs the query, and the widgets need the view's choices and sort options."""
    key = f"{spec.name}_q"
    state = st.session_state
    prefix = f"{key}_f_"
    return ListQuery(
        search=state.get(f"{key}_search", ""),
        filters={
            name.removeprefix(prefix): filter_value(value)
            for name, value in state.items()
            if name.startswith(prefix)
        },
        sort=state.get(f"{key}_sort"),
        descending=state.get(f"{key}_desc", spec.default_sort[1]),
        page=state.get(f"{key}_page", 1),
        page_size=size if (size := state.get(f"{key}_size")) in PAGE_SIZES else PAGE_SIZES[1],
        deleted=state.get(f"{key}_deleted", False),
    )


def _query_widgets(spec: TableSpec, view: ListView) -> None:
    """Search, filters, sort and page size; what they hold is read by ``_picked`` on the
    next run (Streamlit keeps it in the session state under their keys)."""
    key = f"{spec.name}_q"
    _url_filters(view, key)
    st.text_input(tr("common.search"), key=f"{key}_search", placeholder=view.search_hint)
    if view.filterable:
        with st.expander(tr("common.filters")):
            cols = st.columns(min(4, len(view.filterable)))
            for i, f in enumerate(view.filterable):
                with cols[i % len(cols)]:
                    filter_input(f, f"{key}_f_{f.name}", view.filter_choices.get(f.name))
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    c1.selectbox(
        tr("common.sort_by"),
        list(view.sort_options),
        key=f"{key}_sort",
        format_func=view.sort_options.__getitem__,
    )
    c2.toggle(tr("common.descending"), value=spec.default_sort[1], key=f"{key}_desc")
    c3.selectbox(tr("common.page_size"), PAGE_SIZES, index=1, key=f"{key}_size")
    if view.can.delete:
        c4.toggle(tr("common.show_deleted"), key=f"{key}_deleted")


def _url_filters(view: ListView, key: str) -> None:
    """The ``?f.<field>=…`` filters a link (a cockpit tile) opened the list with: said in a
    caption with a button to drop them; parameters that do not fit are named, not raised."""
    linked = view.linked
    if linked.ignored:
        st.warning(tr("cockpit.filter.ignored", params="; ".join(linked.ignored)))
    if linked.applied:
        shown = "; ".join(
            _describe(item, value, view.linked_names) for item, value in linked.applied
        )
        c1, c2 = st.columns([5, 1], vertical_alignment="center")
        c1.caption(tr("cockpit.filter.applied", filters=shown))
        if c2.button(tr("cockpit.filter.clear"), key=f"{key}_url_clear"):
            for name in [k for k in st.query_params if k.startswith(url_filters.PREFIX)]:
                del st.query_params[name]
            st.rerun()


def _describe(item: Any, value: Any, names: dict[str, dict[int, str]]) -> str:
    """One URL filter as people read it: ``状态: 已确认、整改中`` or a preset's name."""
    if isinstance(item, url_filters.Preset):
        return tr(item.label)
    code = lang()
    if item.kind == CHOICE:
        text = "、".join(item.choice_label(v, code) for v in value)
    elif item.kind == FK:
        known = names.get(item.name, {})
        text = "、".join(known.get(v, f"#{v}") for v in value)
    elif item.kind == BOOL:
        text = tr("common.yes" if value else "common.no")
    elif isinstance(value, tuple):
        low, high = value
        text = str(low) if low == high else f"{low or '…'} – {high or '…'}"
    else:
        text = str(value)
    return f"{item.label_in(code)}: {text}"


def _declared_extras(spec: TableSpec) -> DetailExtra | None:
    """What a table's declarations put under each record: its workflow steps and history,
    and a published document's audience."""
    parts: list[DetailExtra] = []
    flow = flow_for(spec.name)
    if flow is not None:
        parts.append(partial(render_workflow, wf=flow))
    if spec.scope.audience is not None:
        parts.append(partial(render_audience, spec=spec))
    if not parts:
        return None

    def extras(session: Session, actor: Actor, record: Any) -> None:
        for part in parts:
            part(session, actor, record)

    return extras


def _blank_empty_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty text cells as blanks: the grid writes a missing value as "None", which reads as
    data (and as English in the Chinese UI). Numbers and dates keep their type (and sort)."""
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_string_dtype(column) or column.isna().all():
            frame[name] = column.fillna("")
    return frame


def _list(spec: TableSpec, actor: Actor, view: ListView, detail_extra: DetailExtra | None) -> None:
    _query_widgets(spec, view)
    frame = _blank_empty_text(
        pd.DataFrame(view.rows, columns=["id", *(f.name for f in view.shown)])
    )
    frame.columns = view.columns
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
        tr("common.page"), min_value=1, max_value=view.pages, step=1, key=f"{spec.name}_q_page"
    )
    c2.caption(tr("common.page_info", page=view.page, pages=view.pages, total=view.total))
    picked = event.selection.rows if event and event.selection else []
    linked = st.query_params.get("id", "")
    if picked and picked[0] < len(view.rows):
        with session_scope() as session:
            render_detail(session, spec, actor, view.rows[picked[0]]["id"], detail_extra)
    elif linked.isdigit():  # opened from a to-do or a message: ?id=<row id>
        with session_scope() as session:
            render_detail(session, spec, actor, int(linked), detail_extra)
    else:
        st.caption(tr("common.select_row"))


def _create_form(spec: TableSpec, actor: Actor, specs: tuple[FieldSpec, ...]) -> None:
    key = f"{spec.name}_new"
    with session_scope() as session, st.form(key, clear_on_submit=False):
        raw = form_inputs(session, actor, specs, None, key)
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
    upload = st.file_uploader(
        max_upload_size=upload_limit(),
        label=tr("crud.import_file"),
        type=["xlsx"],
        key=f"{spec.name}_upload",
    )
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
    notes = "；".join(n for n in (report.header_note(lang()), report.skipped_note(lang())) if n)
    if report.ok:
        st.success(tr("crud.import_ok", count=report.created))
        st.caption(notes)
        return
    if refusals := [e.message for e in report.errors if e.row == 0]:  # the file, not a row
        for message in refusals:
            st.error(tr("crud.import_refused", message=message))
        return
    st.error(tr("crud.import_failed", count=len(report.errors)))
    if notes:  # which row was read as the header, which columns were left out
        st.caption(notes)
    st.dataframe(
        pd.DataFrame(
            [(e.row, e.column, e.message) for e in report.errors],
            columns=[tr("crud.import_row"), tr("crud.import_column"), tr("crud.import_message")],
        ),
        hide_index=True,
        width="stretch",
        key=f"{spec.name}_imp_errors",
    )


def _export(spec: TableSpec, actor: Actor, q: ListQuery) -> None:
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
