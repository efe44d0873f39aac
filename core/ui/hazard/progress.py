"""A hazard's progress, sized for a phone: where the reporter lands after "view progress" —
its state, its deadline and every step taken so far, the record itself one tap away."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.hazard.flow import HAZARD_FLOW
from core.i18n import Translatable
from core.rbac import Actor
from core.ui.context import show_error, tr
from core.ui.my_cards import day
from core.ui.nav import page_link
from core.workflow import events
from models.hazard import FINISHED_STATES, HazardState

TONES = {HazardState.CLOSED: "green", HazardState.REJECTED: "gray", HazardState.VOIDED: "gray"}


def hazard_progress(session: Session, actor: Actor, hazard_id: int) -> None:
    """The record's progress, or the same refusal as the register for one out of scope."""
    try:
        hazard = service.get_row(session, get_spec("hazard"), actor, hazard_id)
    except Translatable as exc:
        show_error(exc)
        return
    wf = HAZARD_FLOW
    state = tr(wf.state_key(hazard.state))
    tone = TONES.get(hazard.state, "orange" if hazard.state != HazardState.REPORTED else "blue")
    with st.container(border=True, key="hazard_progress"):
        st.subheader(tr("hazard_progress.title", number=hazard.number or hazard.id))
        st.markdown(f":{tone}-badge[{state}]  {hazard.title or ''}")
        if hazard.deadline and hazard.state not in FINISHED_STATES:
            late = wf.days_late(hazard, site_today()) or 0
            due = tr("hazard_progress.deadline", date=day(hazard.deadline))
            overdue = f" :red-badge[{tr('hazard_progress.overdue', days=late)}]" if late > 0 else ""
            st.markdown(due + overdue)
        st.markdown(f"**{tr('hazard_progress.steps')}**")
        steps = events(session, wf.table, hazard.id)
        if len(steps) <= 1:
            st.caption(tr("hazard_progress.none"))
        for e in steps:
            line = tr(
                "hazard_progress.by",
                actor=e.actor_name,
                action=tr(wf.action_key(e.action)),
                state=tr(wf.state_key(e.to_state)),
            )
            st.markdown(f"{day(e.ts)}  \n{line}" + (f"  \n> {e.comment}" if e.comment else ""))
        page_link(
            actor,
            get_spec("hazard").page or "",
            label=tr("workbench.open"),
            query_params={"id": str(hazard.id)},
        )
