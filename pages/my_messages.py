"""消息: my messages, read and unread, newest first, each opening the record it is about."""

import streamlit as st

from core import notify
from core.db import session_scope
from core.i18n import t_keys
from core.inbox import messages
from core.ui.context import current_actor, lang, tr
from core.ui.home import record_page
from core.ui.my_cards import card, day

SEVERITY_TONES = {"error": "red", "warning": "orange", "info": "blue"}

actor = current_actor()
if actor is None:
    st.stop()
st.title(tr("page.my_messages"))
with session_scope() as session:
    items = messages(session, actor)
if not items:
    st.info(tr("my_messages.empty"))
for n in items:
    page = record_page(actor, n.table_name)
    badge = (tr("my_messages.unread"), SEVERITY_TONES.get(n.severity, "blue"))
    card(
        t_keys(n.key, lang(), n.params),
        badge if n.read_at is None else None,
        [day(n.created_at)],
        actor,
        (page, n.row_id) if page and n.row_id is not None else None,
    )
unread = [n.id for n in items if n.read_at is None]
if unread and st.button(tr("my_messages.mark_read"), key="my_messages_read", width="stretch"):
    with session_scope() as session:
        notify.mark_read(session, actor, unread)
    st.rerun()
