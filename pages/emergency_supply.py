"""Emergency supplies ledger: under each supply, whether it has expired (asked of the date
today) and, for its editors, a form that records an inspection and moves the next one."""

from typing import Any

import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.emergency.rules import is_expired
from core.emergency.supplies import record_inspection
from core.rbac import Actor
from core.ui.context import tr
from core.ui.crud_page import render_table_page
from core.ui.forms import submit
from models.enums import Action, Module


def supply_extra(session: Session, actor: Actor, supply: Any) -> None:
    if supply.expires_on is not None:
        expired = is_expired(supply.expires_on, site_today())
        text = tr(
            "emergency.supply.expired" if expired else "emergency.supply.valid",
            date=supply.expires_on.isoformat(),
        )
        st.markdown(f":red[{text}]" if expired else text)
    if not actor.can(Module.EMERGENCY, Action.EDIT) or supply.deleted_at is not None:
        return
    key = f"supply_inspect_{supply.id}"
    with st.form(key):
        when = st.date_input(
            tr("emergency.supply.inspected_on"), site_today(), max_value=site_today()
        )
        pressed = st.form_submit_button(tr("emergency.supply.inspect"))
    if pressed and submit(
        key,
        lambda s: record_inspection(s, actor, supply.id, when),
        tr("emergency.supply.inspected"),
    ):
        st.rerun()


render_table_page("emergency_supply", detail_extra=supply_extra)
