"""Reminders outside the app: a user's channel choices (account page) and the delivery log
(system pages), with the failed deliveries one click from a retry."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import shown
from core.config import get_settings
from core.db import session_scope, utcnow
from core.delivery.log import DeliveryQuery, entries, retry_failed
from core.delivery.messages import notice_text
from core.delivery.prefs import CHANNELS, CHOICES, preference, save_preferences
from core.i18n import enum_label
from core.rbac import Actor
from core.ui.context import flash, lang, show_flash, tr
from core.ui.forms import submit
from models.accounts import User
from models.notification import DeliveryState


def notify_prefs_form(actor: Actor, user: User) -> None:
    """The user's e-mail address and, per channel, all / important only / nothing."""
    st.subheader(tr("delivery.prefs.title"))
    with st.form("notify_prefs"):
        email = st.text_input(
            tr("delivery.prefs.email"), value=user.email or "", key="prefs_address"
        )
        choices = {
            channel: st.radio(
                tr(f"delivery.channel.{channel}"),
                CHOICES,
                index=CHOICES.index(preference(user, channel)),
                format_func=lambda choice: tr(f"delivery.prefs.choice.{choice}"),
                horizontal=True,
                key=f"prefs_channel_{channel}",
            )
            for channel in CHANNELS
        }
        st.caption(tr("delivery.prefs.help"))
        pressed = st.form_submit_button(tr("delivery.prefs.save"), type="primary")
    if pressed and submit(
        "notify_prefs",
        lambda session: save_preferences(session, actor, email, choices),
        tr("delivery.prefs.saved"),
    ):
        st.rerun()


def delivery_log_page(actor: Actor) -> None:
    st.title(tr("page.delivery_log"))
    show_flash()
    c1, c2, c3 = st.columns(3)
    # labels read now, in the page's language, not whenever a widget formats a value
    states = {None: tr("common.all"), **{s: enum_label(s, lang()) for s in DeliveryState}}
    channels = {None: tr("common.all"), **{c: tr(f"delivery.channel.{c}") for c in CHANNELS}}
    state = c1.selectbox(
        tr("delivery.state"), list(states), key="delivery_state", format_func=states.get
    )
    channel = c2.selectbox(
        tr("delivery.channel"), list(channels), key="delivery_channel", format_func=channels.get
    )
    size = c3.selectbox(tr("common.page_size"), (50, 100, 200), key="delivery_size")
    query = DeliveryQuery(state, channel, st.session_state.get("delivery_page", 1), size)
    with session_scope() as session:
        page = entries(session, actor, query)
    frame = pd.DataFrame(
        [
            {
                tr("delivery.time"): shown(line.delivery.created_at),
                tr("delivery.recipient"): line.recipient,
                tr("delivery.channel"): tr(f"delivery.channel.{line.delivery.channel}"),
                tr("delivery.target"): line.delivery.target,
                tr("delivery.state"): enum_label(line.delivery.state, lang()),
                tr("delivery.attempts"): line.delivery.attempts,
                tr("delivery.sent_at"): shown(line.delivery.sent_at)
                if line.delivery.sent_at
                else "",
                tr("delivery.last_error"): line.delivery.last_error or "",
                tr("delivery.message"): notice_text(line.notice, lang()),
            }
            for line in page.rows
        ]
    )
    if page.rows:
        st.dataframe(frame, hide_index=True, width="stretch", key="delivery_grid")
    else:
        st.info(tr("common.no_rows"))
    c1, c2 = st.columns([1, 3])
    c1.number_input(
        tr("common.page"), min_value=1, max_value=page.pages, step=1, key="delivery_page"
    )
    c2.caption(tr("common.page_info", page=page.page, pages=page.pages, total=page.total))
    if st.button(tr("delivery.retry"), key="delivery_retry"):
        with session_scope() as session:
            report = retry_failed(session, get_settings(), actor, utcnow())
        sent, failed = sum(report.sent.values()), sum(report.failed.values())
        flash("warning" if failed else "success", tr("delivery.retried", sent=sent, failed=failed))
        st.rerun()
