"""开工准备 tab of a permit: what still blocks the start, the guardian's measure checklist and
the briefing with the workers' sign-off."""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from sqlmodel import Session

from core.clock import shown
from core.permit.approval import template_of
from core.permit.start import (
    PREPARING,
    is_applicant,
    is_guardian,
    measures_of,
    record_briefing,
    start_problems,
    tick_measures,
)
from core.permit.workers import worker_names
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.steps import attempt, problems
from models.permit import Permit


def render_preparation(session: Session, actor: Actor, permit: Permit) -> None:
    preparing = permit.state in PREPARING
    blocking = start_problems(session, permit) if preparing else []
    if preparing and blocking:
        st.markdown(f"**{tr('permit_prep.blocking')}**")
        for p in blocking:
            st.markdown(f"- :orange[{p.message(lang())}]")
    elif preparing:
        st.success(tr("permit_prep.ready"))
    _measures(session, actor, permit, preparing and (is_guardian(permit, actor) or actor.is_admin))
    _briefing(
        session,
        actor,
        permit,
        preparing and (is_applicant(permit, actor) or is_guardian(permit, actor) or actor.is_admin),
    )


def _measures(session: Session, actor: Actor, permit: Permit, editable: bool) -> None:
    st.markdown(f"#### {tr('permit_prep.measures')}")
    items = measures_of(session, template_of(session, permit))
    checked = permit.measures_checked or {}
    key = f"permit_measures_{permit.id}"
    with st.form(key):
        ticks = {}
        for m in items:
            stamp = checked.get(m.code)
            who = (
                f" — {stamp['name']} {shown(datetime.fromisoformat(stamp['at']))}" if stamp else ""
            )
            label = f"{m.code} {m.text}{'' if m.mandatory else tr('permit_prep.optional')}{who}"
            ticks[m.code] = st.checkbox(
                label, value=bool(stamp), disabled=not editable, key=f"{key}_{m.code}"
            )
        pressed = st.form_submit_button(tr("permit_prep.confirm_measures"), disabled=not editable)
    if not editable:
        st.caption(tr("permit_prep.guardian_only"))
    problems(key)
    if pressed:
        chosen = [c for c, on in ticks.items() if on]

        def run(s: Session) -> None:
            tick_measures(s, actor, s.get(Permit, permit.id), chosen)

        attempt(key, run, tr("common.saved"))
        st.rerun()


def _briefing(session: Session, actor: Actor, permit: Permit, editable: bool) -> None:
    st.markdown(f"#### {tr('permit_prep.briefing')}")
    crew = worker_names(session, permit.workers or [])
    if permit.briefed_at:
        signed = worker_names(session, permit.briefing_signed or [])
        st.caption(
            tr(
                "permit_prep.briefed",
                at=shown(permit.briefed_at),
                names="、".join(signed.values()) or "—",
            )
        )
    if not editable:
        return
    key = f"permit_briefing_{permit.id}"
    with st.form(key):
        content = st.text_area(
            tr("permit_prep.briefing_content"),
            value=permit.briefing_content or "",
            key=f"{key}_content",
        )
        signed_now = st.multiselect(
            tr("permit_prep.signed_by"),
            list(crew),
            format_func=crew.get,
            placeholder=tr("permit_ui.choose"),
            default=[str(r) for r in permit.briefing_signed or []],
            key=f"{key}_signed",
        )
        pressed = st.form_submit_button(tr("permit_prep.record_briefing"))
    problems(key)
    if pressed:

        def run(s: Session) -> None:
            record_briefing(s, actor, s.get(Permit, permit.id), content, signed_now)

        attempt(key, run, tr("common.saved"))
        st.rerun()
