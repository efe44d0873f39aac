"""One permit on one screen: what it is, where it stands, and the tabs for each part of its
life — approval, preparation, gas, the work itself and the history. Used by the permit desk
(作业票办理) and under the permit list's detail view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import local, shown, site_zone
from core.crud.lookup import titles
from core.db import session_scope
from core.permit.approval import template_of
from core.permit.flow import ARCHIVED, PERMIT_FLOW, READY, act, extend, gas_of
from core.permit.printout import permit_pdf
from core.permit.queries import kind_of, related_permits, simops_partners
from core.permit.templates import field_labels
from core.permit.workers import worker_names
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.permit.chain import render_chain
from core.ui.permit.gas_tab import render_gas
from core.ui.permit.prep import render_preparation
from core.ui.steps import attempt, problems
from core.ui.workflow_panel import history
from models.enums import Action, Module
from models.permit import Permit, PermitState

#: Steps of the work tab; signing lives in the approval tab.
WORK_STEPS = ("submit", "start", "suspend", "resume", "complete", "close", "cancel")
STATE_COLOUR = {
    PermitState.IN_PROGRESS: "green",
    PermitState.SUSPENDED: "red",
    PermitState.APPROVED: "blue",
    PermitState.APPROVING: "orange",
    PermitState.REJECTED: "red",
}


def _name(row: Any) -> str:
    if row is None:
        return "—"
    return row.name_en if lang() == "en" and row.name_en else row.name


def header(session: Session, actor: Actor, permit: Permit) -> None:
    ptype, grade = kind_of(session, actor, permit)
    colour = STATE_COLOUR.get(permit.state, "gray")
    state = tr(f"enum.PermitState.{permit.state}")
    st.markdown(f"### {permit.number} · {_name(ptype)} · {_name(grade)} · :{colour}[{state}]")
    area = (
        titles(session, "area", {permit.area_id}).get(permit.area_id, "") if permit.area_id else ""
    )
    crew = worker_names(session, permit.workers or [])
    guardian = titles(session, "person", {permit.guardian_id}).get(permit.guardian_id, "—")
    applicant = titles(session, "user", {permit.applicant_id}).get(permit.applicant_id, "—")
    left, right = st.columns(2)
    left.markdown(
        f"**{tr('field.permit.planned_start')}** {shown(permit.planned_start)} → "
        f"{shown(permit.planned_end)}  \n"
        f"**{tr('field.permit.area_id')}** {area} · {permit.location}  \n"
        f"**{tr('field.permit.applicant_id')}** {applicant}"
    )
    right.markdown(
        f"**{tr('field.permit.guardian_id')}** {guardian}  \n"
        f"**{tr('field.permit.workers')}** {'、'.join(crew.values()) or '—'}"
    )
    st.markdown(f"**{tr('field.permit.content')}** {permit.content}")
    if permit.form_values:
        labels = field_labels(template_of(session, permit), lang())
        st.caption(" · ".join(f"{labels.get(k, k)}: {v}" for k, v in permit.form_values.items()))
    if permit.suspend_reason and permit.state == PermitState.SUSPENDED:
        st.error(tr("permit_panel.suspended", reason=permit.suspend_reason))
    if permit.cancel_reason:
        st.warning(tr("permit_panel.cancelled", reason=permit.cancel_reason))
    _links(session, actor, permit)
    if permit.jsa:
        with st.expander(tr("permit_apply.jsa")):
            st.dataframe(pd.DataFrame(permit.jsa), hide_index=True, width="stretch")


def _links(session: Session, actor: Actor, permit: Permit) -> None:
    """SIMOPS partners, the original of an extension and its extensions (those the actor
    may open)."""
    if permit.simops:
        # every overlap is counted (the crews must coordinate); links go to those in scope
        st.warning(tr("permit_panel.simops", n=len(permit.simops)))
        others = simops_partners(session, actor, permit)
        for other in others:
            st.page_link(
                "pages/permit_work.py",
                query_params={"id": str(other.id)},
                label=f"{other.number} · {other.location} · {shown(other.planned_start)}",
            )
    for other in related_permits(session, actor, permit):
        key = (
            "permit_panel.extension_of"
            if other.id == permit.parent_id
            else "permit_panel.extended_by"
        )
        st.page_link(
            "pages/permit_work.py",
            query_params={"id": str(other.id)},
            label=tr(key, number=other.number),
        )


def _print_button(actor: Actor, permit: Permit) -> None:
    """The printable permit, built only when the button is pressed."""
    if not actor.can(Module.PERMIT, Action.EXPORT):
        return
    code = lang()

    def pdf() -> bytes:
        with session_scope() as s:
            return permit_pdf(s, actor, permit.id, code)

    st.download_button(
        tr("permit_panel.print"),
        data=pdf,
        file_name=f"{permit.number or permit.id}.pdf",
        mime="application/pdf",
        icon=":material/print:",
        key=f"permit_pdf_{permit.id}",
    )


def render_permit(session: Session, actor: Actor, permit: Permit) -> None:
    header(session, actor, permit)
    _print_button(actor, permit)
    status = gas_of(session, permit)
    tabs = st.tabs(
        [
            tr("permit_panel.tab_chain"),
            tr("permit_panel.tab_prep"),
            tr("permit_panel.tab_gas"),
            tr("permit_panel.tab_work"),
            tr("permit_panel.tab_history"),
        ]
    )
    with tabs[0]:
        render_chain(session, actor, permit)
    with tabs[1]:
        render_preparation(session, actor, permit)
    with tabs[2]:
        render_gas(session, actor, permit, status)
    with tabs[3]:
        _work(session, actor, permit)
    with tabs[4]:
        history(session, PERMIT_FLOW, permit)


def _work(session: Session, actor: Actor, permit: Permit) -> None:
    steps = [t for t in PERMIT_FLOW.allowed(permit, actor) if t.action in WORK_STEPS]
    if permit.state in ARCHIVED:
        st.info(tr("permit_panel.archived"))
    for t in steps:
        key = f"permit_step_{permit.id}_{t.action}"
        with st.form(key):
            st.markdown(f"**{tr(f'workflow.action.{t.action}')}**")
            payload = {
                name: st.checkbox(tr(f"field.{name}"), key=f"{key}_{name}") for name in t.required
            }
            note = st.text_input(
                tr("workflow.comment") + (" *" if t.comment_required else ""), key=f"{key}_c"
            )
            pressed = st.form_submit_button(
                tr(f"workflow.action.{t.action}"),
                type="primary" if t.action != "cancel" else "secondary",
            )
        problems(key)
        if pressed:
            _fire(key, actor, permit.id, t.action, note, payload)
    if permit.state in (*READY, PermitState.IN_PROGRESS, PermitState.SUSPENDED):
        _extension(actor, permit)


def _fire(
    key: str, actor: Actor, permit_id: int, action: str, note: str, payload: dict[str, Any]
) -> None:
    done = tr("workflow.done", action=tr(f"workflow.action.{action}"))

    def run(s: Session) -> None:
        act(s, actor, permit_id, action, comment=note or None, payload=payload)

    attempt(key, run, done)
    st.rerun()


def _extension(actor: Actor, permit: Permit) -> None:
    key = f"permit_extend_{permit.id}"
    end = local(permit.planned_end)
    with st.expander(tr("permit_panel.extend")):
        with st.form(key):
            left, right = st.columns(2)
            day = left.date_input(tr("field.permit.planned_end"), value=end.date(), key=f"{key}_d")
            at = right.time_input(" ", value=(end + timedelta(hours=4)).time(), key=f"{key}_t")
            pressed = st.form_submit_button(tr("permit_panel.extend_go"))
        problems(key)
    if pressed:
        new_end = datetime.combine(day, at).replace(tzinfo=site_zone())
        made: list[int] = []

        def run(s: Session) -> None:
            made.append(extend(s, actor, permit.id, new_end).id)

        if attempt(key, run, tr("permit_panel.extended")):
            st.query_params["id"] = str(made[0])
        st.rerun()
