"""作业票办理: the permits waiting for this user (to sign, to guard, own applications, running
now) and, once one is chosen, the whole permit with the steps this user may take."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import shown
from core.crud.registry import get_spec
from core.crud.service import NotFound, get_row
from core.permit.queries import find_by_number
from core.permit.todo import my_permit_tasks
from core.rbac import Actor
from core.ui.context import show_flash, tr
from core.ui.nav import page_link
from core.ui.permit.panel import render_permit
from models.permit import Permit


def _table(permits: list[Permit]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            tr("field.permit.number"): [p.number for p in permits],
            tr("field.permit.state"): [tr(f"enum.PermitState.{p.state}") for p in permits],
            tr("field.permit.planned_start"): [shown(p.planned_start) for p in permits],
            tr("field.permit.location"): [p.location for p in permits],
        }
    )


def render_work(session: Session, actor: Actor) -> None:
    st.title(tr("page.permit_work"))
    show_flash()
    chosen = st.query_params.get("id")
    if chosen and chosen.isdigit():
        try:
            permit = get_row(session, get_spec("permit"), actor, int(chosen), include_deleted=False)
        except NotFound:
            st.error(tr("error.not_found"))
        else:
            if st.button(tr("permit_work.back")):
                del st.query_params["id"]
                st.rerun()
            render_permit(session, actor, permit)
            return
    number = st.text_input(tr("permit_work.open_number"), key="permit_work_number").strip()
    if number:
        found = find_by_number(session, actor, number)
        if found is None:
            st.warning(tr("permit_work.no_such", number=number))
        else:
            st.query_params["id"] = str(found.id)
            st.rerun()
    tasks = my_permit_tasks(session, actor)
    groups = (
        ("permit_work.to_sign", tasks.to_sign),
        ("permit_work.to_guard", tasks.to_guard),
        ("permit_work.mine", tasks.mine),
        ("permit_work.running", tasks.running),
    )
    tabs = st.tabs([f"{tr(key)} ({len(rows)})" for key, rows in groups])
    for tab, (key, rows) in zip(tabs, groups, strict=True):
        with tab:
            if not rows:
                st.caption(tr("permit_work.none"))
                continue
            picked = st.dataframe(
                _table(rows),
                hide_index=True,
                width="stretch",
                on_select="rerun",
                selection_mode="single-row",
                key=f"{key}_table",
            )
            selected = picked.selection.rows if picked else []
            if selected:
                st.query_params["id"] = str(rows[selected[0]].id)
                st.rerun()
    page_link(actor, "pages/permit_apply.py", label="+ " + tr("page.permit_apply"))
