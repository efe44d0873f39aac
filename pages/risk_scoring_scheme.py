"""Scoring schemes (风险评价方案): versions of the LEC / LS tables, and "create new version"."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.rbac import Actor
from core.risk.schemes import new_version, points_using
from core.ui.context import tr
from core.ui.crud_page import render_table_page
from core.ui.forms import submit
from models.enums import Action, Module
from models.risk import ScoringScheme


def scheme_actions(session: Session, actor: Actor, scheme: ScoringScheme) -> None:
    """Say whether the scheme is frozen; offer the next version to whoever configures risk."""
    count = points_using(session, scheme.id)
    st.caption(tr("risk_scoring.used_by", count=count) if count else tr("risk_scoring.unused"))
    if scheme.deleted_at is not None or not actor.can(Module.RISK, Action.CONFIGURE):
        return
    st.caption(tr("risk_scoring.new_version_help"))
    if st.button(tr("risk_scoring.new_version"), key=f"scheme_new_{scheme.id}") and submit(
        "scheme_new",
        lambda s: new_version(s, actor, scheme.id),
        tr("risk_scoring.new_version_done"),
    ):
        st.rerun()


render_table_page("scoring_scheme", detail_extra=scheme_actions)
