"""随手拍: the phone-sized quick report — a photo, a place, a sentence; nothing else required."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from core.crud.lookup import options
from core.crud.registry import get_spec
from core.hazard.flow import report_hazard
from core.rbac import Actor
from core.ui.context import flash, show_flash, tr
from core.ui.forms import reset_form, submit
from core.ui.hazard.progress import hazard_progress
from core.ui.nav import page_link
from core.ui.uploads import upload_limit
from core.ui.widgets import field_input
from models.hazard import HazardSource

KEY = "hazard_quick"
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp"]


def quick_report(session: Session, actor: Actor) -> None:
    st.title(tr("hazard_report.title"))
    show_flash()
    linked = st.query_params.get("id", "")
    if linked.isdigit():  # ?id=<hazard>: that report's progress, at the top of the screen
        hazard_progress(session, actor, int(linked))
        if st.button(tr("hazard_progress.new"), key=f"{KEY}_again", width="stretch"):
            del st.query_params["id"]
            st.rerun()
        return
    st.caption(tr("hazard_report.intro"))
    last = st.session_state.get(f"{KEY}_last")
    if last is not None:  # follow your report: its progress, on this phone-sized page
        page_link(
            actor,
            "pages/hazard_report.py",
            label=tr("hazard_report.view", number=last[0]),
            query_params={"id": str(last[1])},
            width="stretch",
        )
    spec = get_spec("hazard")
    areas = options(session, "area", actor)
    errors: dict[str, str] = st.session_state.get(f"{KEY}_errors", {})
    with st.form(KEY, clear_on_submit=True):
        # a file input: phones offer the camera for it, without asking for camera access
        # the moment the page opens, as a live camera widget would
        photo = st.file_uploader(
            max_upload_size=upload_limit(),
            label=tr("hazard_report.photo"),
            type=PHOTO_TYPES,
            key=f"{KEY}_photo",
        )
        area = st.selectbox(
            tr("hazard_report.area"),
            [None, *areas],
            format_func=lambda v: tr("common.none") if v is None else areas[v],
            key=f"{KEY}_area",
        )
        location = st.text_input(tr("hazard_report.location"), key=f"{KEY}_location")
        description = st.text_area(tr("hazard_report.description") + " *", key=f"{KEY}_desc")
        if errors.get("description") or errors.get("title"):
            st.markdown(f":red[⚠ {tr('hazard_report.need_description')}]")
        with st.expander(tr("hazard_report.more")):
            more = {
                name: field_input(session, actor, spec.field(name), None, f"{KEY}_{name}", None)
                for name in ("level", "category_id")
            }
        pressed = st.form_submit_button(
            tr("hazard_report.submit"), type="primary", use_container_width=True
        )
    if not pressed:
        return
    files = [(photo.name, photo.getvalue())] if photo is not None else []
    values = {
        "description": description,
        "area_id": area,
        "location": location,
        "source": HazardSource.QUICK_REPORT,
        **{k: v for k, v in more.items() if v is not None},
    }
    created: list[tuple[str, int]] = []

    def report(s: Session) -> None:
        hazard = report_hazard(s, actor, values, files=files)
        created.append((hazard.number or "", hazard.id))

    if submit(KEY, report, tr("common.saved")):
        flash("success", tr("hazard_report.done", number=created[0][0]))
        reset_form(KEY)
        st.session_state[f"{KEY}_last"] = created[0]
        st.rerun()
