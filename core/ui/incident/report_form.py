"""The incident page's "new" tab: the report form, with photos, and for a near miss the
choice to report anonymously (then nothing links the report to whoever sent it)."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.crud.custom import effective_fields
from core.crud.registry import get_spec
from core.db import session_scope
from core.incident.flow import report_near_miss
from core.rbac import Actor
from core.ui.context import flash, tr
from core.ui.forms import form_inputs, submit
from core.ui.uploads import upload_limit

KEY = "incident_new"
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp"]


def report_form(actor: Actor) -> None:
    spec = get_spec("incident")
    with session_scope() as session, st.form(KEY, clear_on_submit=False):
        raw = form_inputs(session, actor, effective_fields(session, spec), None, KEY)
        photos = st.file_uploader(
            max_upload_size=upload_limit(),
            label=tr("incident.photos"),
            type=PHOTO_TYPES,
            accept_multiple_files=True,
            key=f"{KEY}_files",
        )
        anonymous = st.checkbox(
            tr("incident.report_anonymously"),
            key=f"{KEY}_anonymous",
            help=tr("incident.anonymous_help"),
        )
        pressed = st.form_submit_button(tr("common.save"), type="primary")
    if not pressed:
        return
    files = [(p.name, p.getvalue()) for p in photos or []]
    numbers: list[str] = []

    def report(s: Session) -> None:
        incident = report_near_miss(s, actor, raw, files, anonymous=anonymous)
        numbers.append(incident.number)

    if submit(KEY, report, tr("common.saved")):
        key = "incident.reported_anonymously" if anonymous else "incident.reported"
        flash("success", tr(key, number=numbers[0]))
        st.rerun()
