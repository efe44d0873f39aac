"""气体检测 tab of a permit: each required gas against its limit, every reading, and new
readings entered by hand or imported from a multi-gas detector's CSV export."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import shown, site_zone
from core.db import utcnow
from core.permit.flow import ARCHIVED
from core.permit.gas import GasStatus, limit_text, value_text
from core.permit.readings import (
    import_detector_csv,
    overdue_readings,
    readings_of,
    record_reading,
)
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.steps import attempt, problems
from core.ui.uploads import upload_limit
from models.enums import Action, Module
from models.permit import Permit
from models.permit_reference import PermitGas, PermitGasUnit


def _readings(session: Session, actor: Actor, permit: Permit) -> pd.DataFrame:
    rows = readings_of(session, actor, permit.id)
    return pd.DataFrame(
        {
            tr("permit_gas.time"): [shown(r.measured_at) for r in rows],
            tr("permit_gas.gas"): [tr(f"enum.PermitGas.{r.gas}") for r in rows],
            tr("permit_gas.value"): [value_text(r) for r in rows],
            tr("permit_gas.verdict"): [
                tr("permit_gas.ok")
                if r.within_limit
                else tr("permit_gas.bad")
                if r.within_limit is False
                else "—"
                for r in rows
            ],
            tr("permit_gas.point"): [r.sample_point or "" for r in rows],
        }
    )


def render_gas(session: Session, actor: Actor, permit: Permit, status: list[GasStatus]) -> None:
    late = overdue_readings(session, permit)
    if late is not None:
        st.warning(tr("permit_gas.overdue", minutes=int(late.total_seconds() // 60)))
    if status:
        st.dataframe(
            pd.DataFrame(
                {
                    tr("permit_gas.gas"): [tr(f"enum.PermitGas.{g.gas}") for g in status],
                    tr("permit_gas.latest"): [
                        value_text(g.reading) if g.reading else "—" for g in status
                    ],
                    tr("permit_gas.at"): [
                        shown(g.reading.measured_at) if g.reading else "—" for g in status
                    ],
                    tr("permit_gas.limit"): [
                        limit_text(g.limit) if g.limit else "—" for g in status
                    ],
                    tr("permit_gas.verdict"): [
                        g.problem.message(lang()) if g.problem else tr("permit_gas.ok")
                        for g in status
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    table = _readings(session, actor, permit)
    if not table.empty:
        with st.expander(tr("permit_gas.all", n=len(table))):
            st.dataframe(table, hide_index=True, width="stretch")
    if permit.state in ARCHIVED or not actor.can(Module.PERMIT, Action.CREATE):
        return
    _new_reading(actor, permit)
    _import(actor, permit)


def _new_reading(actor: Actor, permit: Permit) -> None:
    key = f"permit_reading_{permit.id}"
    with st.form(key):
        cols = st.columns(3)
        gas = cols[0].selectbox(
            tr("permit_gas.gas"),
            [g.value for g in PermitGas],
            format_func={g.value: tr(f"enum.PermitGas.{g.value}") for g in PermitGas}.get,
            key=f"{key}_g",
        )
        value = cols[1].number_input(tr("permit_gas.value"), value=None, step=0.01, key=f"{key}_v")
        unit = cols[2].selectbox(
            tr("permit_gas.unit"),
            [u.value for u in PermitGasUnit],
            format_func={u.value: tr(f"enum.PermitGasUnit.{u.value}") for u in PermitGasUnit}.get,
            key=f"{key}_u",
        )
        cols = st.columns(3)
        lel = cols[0].number_input(
            tr("permit_gas.medium_lel"), value=None, step=0.1, key=f"{key}_l"
        )
        point = cols[1].text_input(tr("permit_gas.point"), key=f"{key}_p")
        at = cols[2].time_input(tr("permit_gas.time"), value=None, key=f"{key}_t")
        pressed = st.form_submit_button(tr("permit_gas.add"), type="primary")
    problems(key)
    if not pressed:
        return
    now = utcnow().astimezone(site_zone())
    measured = now if at is None else datetime.combine(now.date(), at).replace(tzinfo=site_zone())
    values = {
        "permit_id": permit.id,
        "gas": gas,
        "value": value,
        "unit": unit,
        "medium_lel": lel,
        "sample_point": point or None,
        "measured_at": measured,
        "tester_id": actor.person_id,
    }
    attempt(key, lambda s: record_reading(s, actor, values), tr("common.saved"))
    st.rerun()


def _import(actor: Actor, permit: Permit) -> None:
    key = f"permit_csv_{permit.id}"
    with st.expander(tr("permit_gas.import")):
        st.caption(tr("permit_gas.import_hint"))
        with st.form(key):
            upload = st.file_uploader(
                max_upload_size=upload_limit(),
                label=tr("permit_gas.file"),
                type=["csv", "txt"],
                key=f"{key}_f",
            )
            lel = st.number_input(tr("permit_gas.medium_lel"), value=None, step=0.1, key=f"{key}_l")
            pressed = st.form_submit_button(tr("permit_gas.import_go"))
        problems(key)
    if not pressed or upload is None:
        return
    data = upload.getvalue()
    attempt(
        key,
        lambda s: import_detector_csv(s, actor, permit.id, data, lel),
        tr("permit_gas.imported"),
    )
    st.rerun()
