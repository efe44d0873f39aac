"""我的证书: my special operation certificates and training certificates, with how long each
is still valid."""

import streamlit as st

from core.clock import site_today
from core.db import session_scope
from core.ui.context import tr
from core.ui.my_cards import Cards, expiry_tone, need_person, show_cards
from core.ui.nav import guard
from models.enums import Action, Module

SOON_DAYS = 30


def _validity(cert: object) -> str | None:
    due = getattr(cert, "expires_on", None)
    if due is None:
        return None
    left = (due - site_today()).days
    key = "expired" if left < 0 else "expiring" if left <= SOON_DAYS else "valid"
    return tr(f"my_certs.{key}")


SPECIAL = Cards(
    "certificate",
    title=("work_type", "kind"),
    badge_text=_validity,
    tone=expiry_tone("expires_on", SOON_DAYS),
    dates=("expires_on", "issued_on"),
    lines=("number", "issuer"),
)
TRAINING = Cards(
    "training_certificate",
    title=("kind", "number"),
    badge_text=_validity,
    tone=expiry_tone("expires_on", SOON_DAYS),
    dates=("expires_on", "review_due_on"),
)

actor = guard(Module.ORG)
st.title(tr("page.my_certificates"))
if need_person(actor):
    with session_scope() as session:
        st.subheader(tr("my_certs.special"))
        show_cards(session, actor, SPECIAL, "my_certs.special_empty")
        if actor.can(Module.TRAINING, Action.VIEW):
            st.subheader(tr("my_certs.training"))
            show_cards(session, actor, TRAINING, "my_certs.training_empty")
