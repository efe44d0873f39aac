"""The approval tab of a permit: the chain stage by stage (who signed, when, what they said,
withdrawn signatures struck through), and the sign / reject / withdraw buttons for whoever
holds the open step."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import shown
from core.permit.approval import chain_state, signature_record, step_for, template_of
from core.permit.flow import act
from core.rbac import Actor
from core.ui.context import tr
from core.ui.steps import attempt, problems
from models.permit import Permit, PermitState


def chain_table(session: Session, permit: Permit) -> pd.DataFrame:
    """Every step of the chain with its valid signature, then the record of older ones."""
    state = chain_state(session, permit, template_of(session, permit))
    open_stage = state.open_stage
    rows = []
    for i, stage in enumerate(state.stages):
        for step in stage:
            sig = state.signed.get(step.index)
            status = (
                tr("permit_chain.signed")
                if sig
                else tr("permit_chain.due")
                if i == open_stage and permit.state == PermitState.APPROVING
                else tr("permit_chain.waiting")
            )
            rows.append(
                {
                    tr("permit_chain.stage"): i + 1,
                    tr("permit_chain.role"): tr(f"enum.PermitApprovalRole.{step.role}"),
                    tr("permit_chain.status"): status,
                    tr("permit_chain.signer"): sig.signer_name if sig else "",
                    tr("permit_chain.time"): shown(sig.signed_at) if sig else "",
                    tr("permit_chain.comment"): (sig.comment or "") if sig else "",
                }
            )
    return pd.DataFrame(rows)


def _record(session: Session, actor: Actor, permit: Permit) -> pd.DataFrame:
    rows = []
    for sig in signature_record(session, actor, permit.id):
        withdrawn = sig.withdrawn_at is not None
        rows.append(
            {
                tr("permit_chain.role"): tr(f"enum.PermitApprovalRole.{sig.role}"),
                tr("permit_chain.signer"): sig.signer_name or "",
                tr("permit_chain.decision"): tr(f"enum.PermitDecision.{sig.decision}"),
                tr("permit_chain.time"): shown(sig.signed_at),
                tr("permit_chain.comment"): sig.comment or "",
                tr("permit_chain.withdrawn"): shown(sig.withdrawn_at) if withdrawn else "",
            }
        )
    return pd.DataFrame(rows)


def render_chain(session: Session, actor: Actor, permit: Permit) -> None:
    st.dataframe(chain_table(session, permit), hide_index=True, width="stretch")
    record = _record(session, actor, permit)
    if not record.empty:
        with st.expander(tr("permit_chain.record", n=len(record))):
            st.dataframe(record, hide_index=True, width="stretch")
    state = chain_state(session, permit, template_of(session, permit))
    key = f"permit_chain_{permit.id}"
    step = step_for(state, permit, actor) if permit.state == PermitState.APPROVING else None
    own = any(s.signer_id == actor.user_id for s in state.signed.values())
    if step is None and not own:
        return
    with st.form(key):
        if step is not None:
            st.markdown(
                tr("permit_chain.your_step", role=tr(f"enum.PermitApprovalRole.{step.role}"))
            )
        note = st.text_input(tr("permit_chain.note"), key=f"{key}_note")
        cols = st.columns(3)
        sign = step is not None and cols[0].form_submit_button(
            tr("workflow.action.sign"), type="primary", width="stretch"
        )
        reject = step is not None and cols[1].form_submit_button(
            tr("workflow.action.reject"), width="stretch"
        )
        withdraw = own and cols[2].form_submit_button(
            tr("workflow.action.unapprove"), width="stretch"
        )
    problems(key)
    action = "sign" if sign else "reject" if reject else "unapprove" if withdraw else None
    if action is None:
        return
    done = tr("workflow.done", action=tr(f"workflow.action.{action}"))
    attempt(key, lambda s: act(s, actor, permit.id, action, comment=note or None), done)
    st.rerun()  # the new state, or the refusal's messages
