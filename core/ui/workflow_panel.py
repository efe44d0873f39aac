"""Under a workflow record's detail: its state, the steps this user may take, and its history.

Only the steps ``Workflow.allowed`` returns are offered, but the data layer checks again when
one is fired, so a stale page cannot take an illegal step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core import attachments
from core.clock import shown, site_today
from core.config import get_settings
from core.crud.custom import read
from core.crud.lookup import titles
from core.rbac import Actor
from core.ui.context import tr
from core.ui.forms import submit
from core.ui.uploads import upload_limit
from core.ui.widgets import field_input
from core.workflow import Transition, Workflow, events, fire


def render_workflow(session: Session, actor: Actor, record: Any, *, wf: Workflow) -> None:
    state = wf.state_of(record)
    badge = tr("workflow.current_state", state=tr(wf.state_key(state)))
    late = wf.days_late(record, site_today())
    st.markdown(f"#### {tr('workflow.panel_title')}")
    if late is not None:
        extra = (
            tr("workflow.overdue_badge", days=late)
            if late > 0
            else tr("workflow.due_badge", deadline=record.deadline)
        )
        st.markdown(f"{badge} · {':red' if late > 0 else ':blue'}[{extra}]")
    else:
        st.markdown(badge)
    steps = wf.allowed(record, actor)
    if steps:
        tabs = st.tabs([tr(wf.action_key(t.action)) for t in steps])
        for tab, t in zip(tabs, steps, strict=True):
            with tab:
                _step_form(session, actor, wf, record, t)
    else:
        st.caption(tr("workflow.no_actions"))
    history(session, wf, record)


def _step_form(session: Session, actor: Actor, wf: Workflow, record: Any, t: Transition) -> None:
    key = f"wf_{wf.table}_{record.id}_{t.action}"
    errors: dict[str, str] = st.session_state.get(f"{key}_errors", {})
    spec = wf.spec
    with st.form(key):
        raw: dict[str, Any] = {}
        for name in t.form_fields:
            f = spec.field(name)
            required = name in t.required
            f = f if f.required == required else replace(f, required=required)
            raw[name] = field_input(
                session, actor, f, read(record, f), f"{key}_{name}", errors.get(name)
            )
        label = tr(t.comment_label) + (" *" if t.comment_required else "")
        comment = st.text_area(label, key=f"{key}_comment")
        if errors.get("comment"):
            st.markdown(f":red[⚠ {errors['comment']}]")
        uploads = []
        if t.asks_files:
            label = tr("workflow.photos") + (" *" if t.files_required else "")
            uploads = (
                st.file_uploader(
                    max_upload_size=upload_limit(),
                    label=label,
                    accept_multiple_files=True,
                    key=f"{key}_files",
                )
                or []
            )
            if errors.get("files"):
                st.markdown(f":red[⚠ {errors['files']}]")
        pressed = st.form_submit_button(tr(wf.action_key(t.action)), type="primary")
    if not pressed:
        return
    files = [(u.name, u.getvalue()) for u in uploads]
    done = tr("workflow.done", action=tr(wf.action_key(t.action)))

    def step(s: Session) -> None:
        fire(s, wf, record.id, t.action, actor, payload=raw, comment=comment, files=files)

    if submit(key, step, done):
        st.rerun()


def history(session: Session, wf: Workflow, record: Any) -> None:
    rows = events(session, wf.table, record.id)
    # who took a step: the person's display name, the user name only if the account is gone
    people = titles(session, "user", {e.actor_id for e in rows if e.actor_id})
    with st.expander(f"{tr('workflow.history')} ({len(rows)})", expanded=True):
        table = pd.DataFrame(
            {
                tr("workflow.col.time"): [shown(e.ts, "%Y-%m-%d %H:%M") for e in rows],
                tr("workflow.col.actor"): [
                    people.get(e.actor_id or 0) or e.actor_name for e in rows
                ],
                tr("workflow.col.action"): [tr(wf.action_key(e.action)) for e in rows],
                tr("workflow.col.to"): [tr(wf.state_key(e.to_state)) for e in rows],
                tr("workflow.col.comment"): [e.comment or "" for e in rows],
                tr("workflow.col.files"): [len(e.attachment_ids or []) for e in rows],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch", key=f"wf_hist_{record.id}")
        _photos(session, [i for e in rows for i in (e.attachment_ids or [])])


def _photos(session: Session, ids: list[int]) -> None:
    """Thumbnails of the photos attached to the steps (the record is already visible)."""
    if not ids:
        return
    items = attachments.previews(session, ids)
    settings = get_settings()
    thumbs = [(a.filename, attachments.read_thumbnail(a, settings)) for a in items]
    thumbs = [(name, data) for name, data in thumbs if data]
    if thumbs:
        cols = st.columns(min(4, len(thumbs)))
        for i, (name, data) in enumerate(thumbs):
            cols[i % len(cols)].image(data, caption=name, width=160)
