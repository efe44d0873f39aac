"""Inspection checklists (检查表), made and kept in step from the risk units' measures."""

from typing import Any

import streamlit as st
from sqlmodel import Session

from core.crud.lookup import options
from core.db import session_scope
from core.inspection.checklists import checklist_from_measures
from core.rbac import Actor
from core.ui.context import flash, tr
from core.ui.crud_page import render_table_page
from core.ui.inspection.rounds import run_write
from core.ui.nav import guard
from models.enums import Action, Module


def checklist_sync_button(session: Session, actor: Actor, row: Any) -> None:
    """Under a checklist: append an item for every measure of its risk unit not yet listed."""
    if row.unit_id is None or not actor.can(Module.RISK, Action.CREATE) or row.deleted_at:
        return
    st.caption(tr("inspection.sync_hint"))
    if st.button(tr("inspection.sync"), key=f"insp_sync_{row.id}"):
        added: list[int] = []

        def sync(s: Session) -> None:
            added.append(checklist_from_measures(s, actor, checklist_id=row.id).added)

        if run_write(sync):
            flash("success", tr("inspection.synced", count=added[0]))
            st.rerun()


def unit_checklist_form(actor: Actor) -> None:
    """Make (or bring up to date) the checklist of a chosen risk unit from its measures."""
    if not actor.can(Module.RISK, Action.CREATE):
        return
    with st.expander(tr("inspection.from_unit")):
        with session_scope() as session:
            units = options(session, "risk_unit", actor)
        unit = st.selectbox(
            tr("field.risk.unit_id"),
            [None, *units],
            format_func=lambda v: tr("common.none") if v is None else units[v],
            key="insp_unit_pick",
        )
        if st.button(tr("inspection.sync"), key="insp_unit_sync", disabled=unit is None):
            added: list[int] = []

            def sync(s: Session) -> None:
                added.append(checklist_from_measures(s, actor, unit_id=unit).added)

            if run_write(sync):
                flash("success", tr("inspection.synced", count=added[0]))
                st.rerun()


render_table_page("inspection_checklist", detail_extra=checklist_sync_button)
unit_checklist_form(guard(Module.RISK))
