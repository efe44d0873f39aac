"""我的作业票: the permits I applied for or watch over, as phone-sized cards."""

import streamlit as st

from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import Cards, need_person, show_cards
from core.ui.nav import guard, page_link
from models.enums import Action, Module
from models.permit import PermitState as S

TONES = {
    S.IN_PROGRESS: "green",
    S.APPROVED: "green",
    S.APPROVING: "orange",
    S.SUBMITTED: "orange",
    S.SUSPENDED: "orange",
    S.REJECTED: "red",
    S.CLOSED: "gray",
    S.CANCELLED: "gray",
    S.COMPLETED: "gray",
}
PERMITS = Cards(
    "permit",
    title=("number", "permit_type_id"),
    badge="state",
    tone=lambda p, _today: TONES.get(p.state, "blue"),
    dates=("planned_start", "planned_end"),
    lines=("location",),
)

actor = guard(Module.PERMIT)
st.title(tr("page.my_permits"))
if need_person(actor):
    st.caption(tr("my_permits.intro"))
    with session_scope() as session:
        show_cards(session, actor, PERMITS, "my_permits.empty")
    if actor.can(Module.PERMIT, Action.CREATE):
        page_link(actor, "pages/permit_apply.py", label=tr("my_permits.apply"), width="stretch")
