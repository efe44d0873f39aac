"""The permit template editor page (作业票模板配置): one work type at a time, every section an
editable table, one Save button, and a live preview of the approval chain per grade.

The rules and the save live in ``core.permit.template_editor``; this module only lays out the
widgets and turns their tables into a ``TemplateEdit``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.crud.service import ValidationFailed
from core.db import session_scope
from core.i18n import Translatable
from core.permit.queries import permit_types
from core.permit.template_editor import bump, load_edit, save_edit
from core.permit.template_rows import (
    TemplateEdit,
    clean,
    fields_from_rows,
    problem_text,
    split_list,
    steps_from_rows,
)
from core.permit.templates import CLOSE_OUT, FIELD_KINDS, parse_steps, stages
from core.rbac import Actor
from core.ui.context import flash, lang, show_error, show_flash, tr
from models.permit_reference import PermitApprovalRole, PermitGas, PermitGasUnit

KEY = "permit_tpl"
ROLES = [r.value for r in PermitApprovalRole]
GASES = [g.value for g in PermitGas]
UNITS = [u.value for u in PermitGasUnit]


def _types(actor: Actor) -> dict[str, str]:
    english = lang() == "en"
    with session_scope() as session:
        rows = permit_types(session, actor, include_deleted=True)
        return {r.code: f"{r.code} · {r.name_en if english else r.name}" for r in rows}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: None if pd.isna(v) else clean(v) for k, v in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


NUMBERS = {"id", "position", "order", "min_value", "max_value", "lel_min", "lel_max"}
NUMBERS |= {"max_sample_age_min", "validity_hours", "bound_min", "bound_max"}
FLAGS = {"required", "mandatory", "in_template", "parallel"}


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Typed columns, so an empty cell shows empty (an all-None column reads "None")."""
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=list(columns))
    for c in columns:
        if c in NUMBERS:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
        elif c in FLAGS:
            frame[c] = frame[c].fillna(False).astype(bool)
        else:
            frame[c] = frame[c].astype("string")
    return frame


def _col(key: str) -> str:
    return tr(f"permit_tpl.col.{key}")


def _fields_section(edit: TemplateEdit, key: str) -> list[dict[str, Any]]:
    st.caption(tr("permit_tpl.fields_help"))
    rows = [{**f, "options": ", ".join(f.get("options") or [])} for f in edit.form_fields]
    cols = ("name", "label", "label_en", "kind", "required", "options")
    frame = _grid(
        _frame(rows, cols),
        key=f"{key}_fields",
        column_config={
            "name": st.column_config.TextColumn(_col("name"), required=True),
            "label": st.column_config.TextColumn(_col("label"), required=True),
            "label_en": st.column_config.TextColumn(_col("label_en")),
            "kind": st.column_config.SelectboxColumn(
                _col("kind"),
                options=list(FIELD_KINDS),
                default="text",
                required=True,
                format_func=lambda k: tr(f"permit_tpl.kind.{k}"),
            ),
            "required": st.column_config.CheckboxColumn(_col("required"), default=False),
            "options": st.column_config.TextColumn(_col("options")),
        },
    )
    return fields_from_rows(_records(frame))


def _grid(frame: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    """An editable table rows can be added to and deleted from."""
    return st.data_editor(
        frame, num_rows="dynamic", hide_index=True, placeholder="", width="stretch", **kw
    )


def _measures_section(edit: TemplateEdit, key: str) -> list[dict[str, Any]]:
    st.caption(tr("permit_tpl.measures_help"))
    cols = ("id", "position", "code", "text", "mandatory", "in_template")
    frame = _grid(
        _frame(edit.measures, cols),
        key=f"{key}_measures",
        column_config={
            "id": None,
            "position": st.column_config.NumberColumn(
                tr("field.position"), min_value=0, step=1, width="small"
            ),
            "code": st.column_config.TextColumn(tr("field.code"), width="small"),
            "text": st.column_config.TextColumn(tr("field.permit.text"), width="large"),
            "mandatory": st.column_config.CheckboxColumn(
                tr("field.permit.mandatory"), default=True
            ),
            "in_template": st.column_config.CheckboxColumn(_col("in_template"), default=True),
        },
    )
    return _records(frame)


def _steps_section(edit: TemplateEdit, key: str) -> list[dict[str, Any]]:
    st.caption(tr("permit_tpl.steps_help"))
    rows = [
        {"order": n, **s, "grades": ", ".join(s.get("grades") or [])}
        for n, s in enumerate(edit.approval_steps, 1)
    ]
    frame = _grid(
        _frame(rows, ("order", "role", "parallel", "grades")),
        key=f"{key}_steps",
        column_config={
            "order": st.column_config.NumberColumn(_col("order"), min_value=1, step=1),
            "role": st.column_config.SelectboxColumn(
                _col("role"),
                options=ROLES,
                required=True,
                format_func=lambda r: tr(f"enum.PermitApprovalRole.{r}"),
            ),
            "parallel": st.column_config.CheckboxColumn(_col("parallel"), default=False),
            "grades": st.column_config.TextColumn(_col("grades")),
        },
    )
    return steps_from_rows(_records(frame))


def _gas_section(edit: TemplateEdit, key: str) -> tuple[list[str], list[dict[str, Any]], Any]:
    gases = st.multiselect(
        tr("permit_tpl.gases_pick"),
        GASES,
        default=[g for g in edit.gases if g in GASES],
        format_func=lambda g: tr(f"enum.PermitGas.{g}"),
        placeholder=tr("common.choose_options"),
        key=f"{key}_gases",
    )
    interval = st.number_input(
        tr("permit_tpl.reading_interval"),
        min_value=0,
        max_value=1440,
        value=edit.reading_interval_min,
        step=15,
        help=tr("permit_tpl.reading_interval_help"),
        key=f"{key}_interval",
    )
    st.markdown(f"**{tr('permit_tpl.limits')}**")
    st.caption(tr("permit_tpl.limits_help"))
    cols = ("id", "code", "gas", "unit", "min_value", "max_value", "lel_min", "lel_max")
    cols += ("basis", "clause", "max_sample_age_min")
    number = {
        c: st.column_config.NumberColumn(tr(f"field.permit.{c}"), format="%g")
        for c in ("min_value", "max_value", "lel_min", "lel_max")
    }
    frame = _grid(
        _frame(edit.limits, cols),
        key=f"{key}_limits",
        column_config={
            "id": None,
            "code": st.column_config.TextColumn(tr("field.code")),
            "gas": st.column_config.SelectboxColumn(
                tr("field.permit.gas"),
                options=GASES,
                required=True,
                format_func=lambda g: tr(f"enum.PermitGas.{g}"),
            ),
            "unit": st.column_config.SelectboxColumn(
                tr("field.permit.unit"),
                options=UNITS,
                default="vol_pct",
                format_func=lambda u: tr(f"enum.PermitGasUnit.{u}"),
            ),
            **number,
            "basis": st.column_config.TextColumn(tr("field.permit.basis")),
            "clause": st.column_config.TextColumn(tr("field.permit.clause")),
            "max_sample_age_min": st.column_config.NumberColumn(
                tr("field.permit.max_sample_age_min"), min_value=1, max_value=240, default=30
            ),
        },
    )
    return gases, _records(frame), interval or None


def _grades_section(edit: TemplateEdit, key: str) -> list[dict[str, Any]]:
    if not edit.grades:
        st.info(tr("permit_tpl.no_grades"))
        return []
    st.caption(tr("permit_tpl.grades_help"))
    name = "name_en" if lang() == "en" else "name"
    rows = [{**g, "label": g[name]} for g in edit.grades]
    cols = ("id", "code", "label", "validity_hours", "bound_min", "bound_max", "bound_unit")
    frame = st.data_editor(
        _frame(rows, cols),
        hide_index=True,
        placeholder="",
        width="stretch",
        disabled=("code", "label"),
        key=f"{key}_grades",
        column_config={
            "id": None,
            "code": st.column_config.TextColumn(tr("field.code")),
            "label": st.column_config.TextColumn(tr("field.name")),
            "validity_hours": st.column_config.NumberColumn(
                tr("field.permit.validity_hours"), min_value=1, max_value=720, step=1
            ),
            "bound_min": st.column_config.NumberColumn(tr("field.permit.bound_min"), format="%g"),
            "bound_max": st.column_config.NumberColumn(tr("field.permit.bound_max"), format="%g"),
            "bound_unit": st.column_config.TextColumn(tr("field.permit.bound_unit")),
        },
    )
    return [{**src, **g} for g, src in zip(_records(frame), rows, strict=True)]


def _role(role: str) -> str:
    return tr(f"enum.PermitApprovalRole.{role}")


def _chain_preview(steps: list[dict[str, Any]], grades: list[dict[str, Any]]) -> None:
    st.caption(tr("permit_tpl.chain_help"))
    name = "name_en" if lang() == "en" else "name"
    close_out = [s for s in parse_steps(steps) if s.role == CLOSE_OUT]
    acceptor = _role(CLOSE_OUT)
    acceptor = acceptor.lower() if lang() == "en" else acceptor
    tail = f"  ·  _{tr('permit_tpl.close_out', role=acceptor)}_" if close_out else ""
    for grade in grades or [{"code": None, name: tr("permit_tpl.no_grades")}]:
        chain = stages(steps, grade["code"])
        text = " → ".join(" + ".join(_role(s.role) for s in stage) for stage in chain)
        label = f"{grade['code']} {grade[name]}" if grade["code"] else grade[name]
        st.markdown(f"**{label}**：{text or tr('permit_tpl.chain_empty')}{tail}")


def _header(edit: TemplateEdit) -> None:
    if edit.template_id is None:
        st.info(tr("permit_tpl.no_template"))
        return
    code_line = tr("permit_tpl.version", version=edit.version, code=edit.code)
    if edit.used_by:
        st.warning(
            f"{code_line}  \n"
            + tr("permit_tpl.used_by", count=edit.used_by, version=bump(edit.version))
        )
    else:
        st.caption(f"{code_line} · {tr('permit_tpl.unused')}")


def _save(actor: Actor, edit: TemplateEdit, key: str) -> None:
    try:
        with session_scope() as session:
            result = save_edit(session, actor, edit)
    except ValidationFailed as exc:
        st.session_state[f"{key}_problems"] = [problem_text(p, lang()) for p in exc.problems]
        st.rerun()
    except Translatable as exc:
        show_error(exc)
        return
    done = "permit_tpl.saved_new_version" if result.new_version else "permit_tpl.saved"
    flash("success", tr(done, name=edit.name, version=result.version))
    st.session_state.pop(f"{key}_problems", None)
    st.session_state[f"{KEY}_rev"] = st.session_state.get(f"{KEY}_rev", 0) + 1
    st.rerun()


def render(actor: Actor) -> None:
    st.title(tr("page.permit_template_editor"))
    show_flash()
    st.caption(tr("permit_tpl.intro"))
    types = _types(actor)
    if not types:
        st.info(tr("common.no_rows"))
        return
    code = st.selectbox(
        tr("permit_tpl.type"), list(types), format_func=types.get, key=f"{KEY}_type"
    )
    with session_scope() as session:
        edit = load_edit(session, code)
    key = f"{KEY}_{code}_{st.session_state.get(f'{KEY}_rev', 0)}"
    _header(edit)
    edit.name = st.text_input(tr("permit_tpl.name"), value=edit.name, key=f"{key}_name")
    tabs = st.tabs(
        [
            tr("permit_tpl.fields"),
            tr("permit_tpl.measures"),
            tr("permit_tpl.steps"),
            tr("permit_tpl.gases"),
            tr("permit_tpl.grades"),
        ]
    )
    with tabs[0]:
        edit.form_fields = _fields_section(edit, key)
        certs = st.text_input(
            tr("permit_tpl.worker_certificates"),
            value=", ".join(edit.worker_certificates),
            help=tr("permit_tpl.worker_certificates_help"),
            key=f"{key}_certs",
        )
        edit.worker_certificates = split_list(certs)
    with tabs[1]:
        edit.measures = _measures_section(edit, key)
    with tabs[2]:
        edit.approval_steps = _steps_section(edit, key)
    with tabs[3]:
        edit.gases, edit.limits, edit.reading_interval_min = _gas_section(edit, key)
    with tabs[4]:
        edit.grades = _grades_section(edit, key)
    st.subheader(tr("permit_tpl.chain"))
    _chain_preview(edit.approval_steps, edit.grades)
    problems = st.session_state.get(f"{key}_problems")
    if problems:
        st.error(
            tr("permit_tpl.not_saved", count=len(problems))
            + "\n\n"
            + "\n".join(f"- {p}" for p in problems)
        )
    if st.button(tr("permit_tpl.save"), type="primary", key=f"{key}_save"):
        _save(actor, edit, key)
