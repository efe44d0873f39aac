"""申请作业票: the applicant's phone-sized form. Type, grade and area first (they decide the
template's fields, the JSA suggestions, the place on the plan and who may work), then the
window, the content, the JSA and the crew; saved as a draft or submitted for approval."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import local, site_zone
from core.crud.english import in_language
from core.crud.lookup import departments_of, options
from core.db import utcnow
from core.geometry import clean_polygon, label_point
from core.permit.flow import apply_for_permit
from core.permit.jsa import jsa_suggestions
from core.permit.queries import areas_of, grades_of, permit_types
from core.permit.templates import template_for
from core.permit.workers import crew_options
from core.rbac import Actor
from core.ui.context import lang, show_flash, tr
from core.ui.forms import reset_form
from core.ui.plan_picker import pick_point
from core.ui.steps import attempt, problems
from models.permit_reference import PermitGrade, PermitTemplate, PermitType

KEY = "permit_apply"
JSA_COLUMNS = ("step", "hazard", "measure")
SHIFT_HOURS = 8


def _named(rows: Any, code: str) -> dict[int, str]:
    return {r.id: (r.name_en if code == "en" and r.name_en else r.name) for r in rows}


def _enterprise(session: Session, actor: Actor) -> int | None:
    if actor.enterprise_id is not None:
        return actor.enterprise_id
    choices = options(session, "enterprise", actor)
    if not choices:
        return None
    return st.selectbox(tr("permit_apply.enterprise"), list(choices), format_func=choices.get)


def _template_field(item: dict[str, Any], key: str) -> Any:
    label = (item.get("label_en") if lang() == "en" else None) or item.get("label") or item["name"]
    label += " *" if item.get("required") else ""
    kind, name = item.get("kind") or "text", item["name"]
    if kind == "number":
        return st.number_input(label, value=None, key=f"{key}_{name}")
    if kind == "choice":
        opts = [None, *[str(o) for o in item.get("options") or []]]
        return st.selectbox(label, opts, format_func=lambda o: o or "—", key=f"{key}_{name}")
    if kind == "bool":
        return st.checkbox(label, key=f"{key}_{name}")
    if kind == "date":
        return st.date_input(label, value=None, key=f"{key}_{name}")
    if kind == "textarea":
        return st.text_area(label, key=f"{key}_{name}")
    return st.text_input(label, key=f"{key}_{name}")


def _people(crew: dict[str, str]) -> dict[str | None, str]:
    """Guardian choices: employees by name (the certificate badge is about workers)."""
    names = {ref: label.split(" · ")[0] for ref, label in crew.items() if not ref.startswith("c")}
    return {None: tr("common.none"), **names}


def _when(label: str, default: datetime, key: str) -> datetime:
    left, right = st.columns(2)
    day = left.date_input(label, value=default.date(), key=f"{key}_d")
    at = right.time_input(" ", value=default.time(), key=f"{key}_t", step=900)
    return datetime.combine(day, at).replace(tzinfo=site_zone())


def default_window(now: datetime, hours: int) -> tuple[datetime, datetime]:
    """From the next quarter hour, for the grade's validity but one shift (8 h) at most."""
    start = (now + timedelta(minutes=15 - now.minute % 15)).replace(second=0, microsecond=0)
    return start, start + timedelta(hours=min(hours, SHIFT_HOURS))


def render_apply(session: Session, actor: Actor) -> None:
    st.title(tr("page.permit_apply"))
    st.caption(tr("permit_apply.intro"))
    show_flash()
    last = st.session_state.get(f"{KEY}_last")
    if last is not None:
        st.page_link(
            "pages/permit_work.py",
            label=tr("permit_apply.view", number=last[0]),
            query_params={"id": str(last[1])},
        )
    enterprise_id = _enterprise(session, actor)
    if enterprise_id is None:
        st.info(tr("permit_apply.no_enterprise"))
        return
    code = lang()
    types = permit_types(session, actor)
    type_names = _named(types, code)
    type_id = st.selectbox(
        tr("field.permit.permit_type_id") + " *",
        list(type_names),
        format_func=type_names.get,
        key=f"{KEY}_type",
    )
    ptype = next(t for t in types if t.id == type_id)
    grades = grades_of(session, actor, ptype.code)
    grade_names = _named(grades, code)
    grade_id = (
        st.selectbox(
            tr("field.permit.grade_id") + " *",
            list(grade_names),
            format_func=grade_names.get,
            key=f"{KEY}_grade",
        )
        if grades
        else None
    )
    grade = next((g for g in grades if g.id == grade_id), None)
    if grade is not None and grade.description:
        st.caption(in_language(grade.description, lang()))
    departments = departments_of(session, actor, enterprise_id)
    default_dept = (
        list(departments).index(actor.department_id) if actor.department_id in departments else 0
    )
    department_id = (
        st.selectbox(
            tr("field.department_id") + " *",
            list(departments),
            index=default_dept,
            format_func=departments.get,
            key=f"{KEY}_dept",
        )
        if departments
        else None
    )
    areas = areas_of(session, actor, enterprise_id)
    area_names = {a.id: a.name for a in areas}
    area_id = st.selectbox(
        tr("field.permit.area_id") + " *",
        [None, *area_names],
        format_func={None: tr("common.none"), **area_names}.get,
        key=f"{KEY}_area",
    )
    point = None
    if area_id is not None:
        st.caption(tr("permit_apply.tap_plan"))
        area = next(a for a in areas if a.id == area_id)
        centre = label_point(clean_polygon(area.polygon))
        default = centre if centre[0] is not None else None
        point = pick_point(KEY, [(a.id, a.name, a.polygon) for a in areas], area_id, default)
        if point is not None:
            st.caption(tr("permit_apply.point", x=point[0], y=point[1]))
    template = template_for(session, ptype.code)
    _form(session, actor, ptype, grade, template, enterprise_id, department_id, area_id, point)


def _form(
    session: Session,
    actor: Actor,
    ptype: PermitType,
    grade: PermitGrade | None,
    template: PermitTemplate | None,
    enterprise_id: int,
    department_id: int | None,
    area_id: int | None,
    point: tuple[float, float] | None,
) -> None:
    hours = grade.validity_hours if grade else ptype.default_validity_hours
    accepted = [str(c) for c in (template.worker_certificates if template else [])]
    first, last = default_window(local(utcnow()), hours)
    tags = {"contractor": tr("permit_apply.contractor_tag"), "expired": tr("permit_apply.expired")}
    crew = crew_options(session, enterprise_id, department_id, accepted, last.date(), tags)
    suggestions = jsa_suggestions(session, actor, area_id, ptype.code, lang())
    with st.form(KEY):
        location = st.text_input(tr("field.permit.location") + " *", key=f"{KEY}_location")
        start = _when(tr("field.permit.planned_start") + " *", first, f"{KEY}_start")
        end = _when(tr("field.permit.planned_end") + " *", last, f"{KEY}_end")
        st.caption(tr("permit_apply.validity", hours=hours))
        content = st.text_area(tr("field.permit.content") + " *", key=f"{KEY}_content")
        form_values = {
            item["name"]: _template_field(item, KEY)
            for item in (template.form_fields if template else [])
            if isinstance(item, dict) and item.get("name")
        }
        st.markdown(f"**{tr('permit_apply.jsa')}**")
        if suggestions:
            st.caption(tr("permit_apply.jsa_suggested", n=len(suggestions)))
        jsa = st.data_editor(
            pd.DataFrame(
                suggestions or [dict.fromkeys(JSA_COLUMNS, "")], columns=list(JSA_COLUMNS)
            ),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            column_config={
                c: st.column_config.TextColumn(tr(f"permit_apply.jsa_{c}")) for c in JSA_COLUMNS
            },
            key=f"{KEY}_jsa",
        )
        if accepted:
            types = tr("common.list_sep").join(in_language(c, lang()) for c in accepted)
            st.caption(tr("permit_apply.certs_needed", types=types))
        workers = st.multiselect(
            tr("field.permit.workers") + " *",
            list(crew),
            format_func=crew.get,
            placeholder=tr("permit_ui.choose"),
            key=f"{KEY}_workers",
        )
        guardian = st.selectbox(
            tr("field.permit.guardian_id") + " *",
            [None, *[r for r in crew if not r.startswith("c")]],
            format_func=_people(crew).get,
            key=f"{KEY}_guardian",
        )
        left, right = st.columns(2)
        draft = left.form_submit_button(tr("permit_apply.save_draft"), width="stretch")
        send = right.form_submit_button(
            tr("workflow.action.submit"), type="primary", width="stretch"
        )
    if not (draft or send):
        problems(KEY)
        return
    values = {
        "permit_type_id": ptype.id,
        "grade_id": grade.id if grade else None,
        "enterprise_id": enterprise_id,
        "department_id": department_id,
        "area_id": area_id,
        "location": location,
        "x": point[0] if point else None,
        "y": point[1] if point else None,
        "planned_start": start,
        "planned_end": end,
        "content": content,
        "form_values": {
            k: v.isoformat() if hasattr(v, "isoformat") else v
            for k, v in form_values.items()
            if v not in (None, "")
        },
        "jsa": [
            {c: str(r.get(c) or "").strip() for c in JSA_COLUMNS}
            for r in jsa.to_dict("records")
            if any(str(r.get(c) or "").strip() for c in JSA_COLUMNS)
        ],
        "workers": [int(w) if w.isdigit() else w for w in workers],
        "guardian_id": int(guardian) if guardian else None,
    }
    made: list[tuple[str, int]] = []

    def run(s: Session) -> None:
        permit = apply_for_permit(s, actor, values, submit=bool(send))
        made.append((permit.number or "", permit.id))

    done = tr("permit_apply.submitted" if send else "permit_apply.saved")
    if attempt(KEY, run, done):
        reset_form(KEY, keep=("type", "grade", "dept", "area"))  # the next one, same kind
        st.session_state[f"{KEY}_last"] = made[0]
        st.rerun()
    problems(KEY)
