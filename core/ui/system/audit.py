"""The audit log: filtered, paginated, with the chain and the sealed records checked one click
away."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import audit
from core.clock import shown
from core.crud.lookup import titles
from core.crud.registry import get_spec
from core.db import session_scope
from core.i18n import readable
from core.rbac import Actor
from core.system.audit_log import AuditQuery, actions, entries
from core.ui.context import lang, tr
from models.enums import Role
from models.system import AuditEntry


def audit_page(actor: Actor) -> None:
    st.title(tr("page.audit"))
    with session_scope() as session:
        known_actions = {a: tr(f"audit_action.{a}") for a in actions(session)}
    c1, c2, c3, c4 = st.columns(4)
    everything = tr("common.all")  # labels read now, in the page's language
    action = c1.selectbox(
        tr("audit.action"),
        [None, *known_actions],
        key="audit_action",
        format_func=lambda a: everything if a is None else known_actions.get(a, a),
    )
    who = c2.text_input(tr("audit.actor"), key="audit_actor")
    days = c3.date_input(tr("audit.time"), value=(), key="audit_days")
    size = c4.selectbox(tr("common.page_size"), (50, 100, 200), key="audit_size")
    page_no = st.session_state.get("audit_page", 1)
    q = AuditQuery(
        action=action,
        actor=who,
        page=page_no,
        page_size=size,
        since=days[0] if len(days) > 0 else None,
        until=days[1] if len(days) > 1 else None,
    )
    with session_scope() as session:
        page = entries(session, actor, q)
        people = titles(session, "user", {e.actor_id for e in page.rows if e.actor_id})
    frame = pd.DataFrame(
        [
            {
                tr("audit.seq"): e.seq,
                tr("audit.time"): shown(e.ts, "%Y-%m-%d %H:%M:%S"),
                tr("audit.actor"): _who(e, people),
                tr("audit.action"): tr(f"audit_action.{e.action}"),
                tr("audit.table"): tr(f"table.{e.table_name}") if e.table_name else "",
                tr("audit.row"): "" if e.row_id is None else str(e.row_id),  # not "None"
                tr("audit.detail"): _summary(e, actor),
            }
            for e in page.rows
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="audit_grid")
    c1, c2 = st.columns([1, 3])
    c1.number_input(tr("common.page"), min_value=1, max_value=page.pages, step=1, key="audit_page")
    c2.caption(tr("common.page_info", page=page.page, pages=page.pages, total=page.total))
    if Role.ADMIN in actor.roles:
        _checks()


def _checks() -> None:
    """The chain check, and the sealed records' check (closed hazards, permits, incidents,
    exam results, accounts and grants changed behind the app's back)."""
    c1, c2 = st.columns(2)
    chain = c1.button(tr("audit.verify"), key="audit_verify")
    records = c2.button(tr("audit.verify_records"), key="audit_verify_records")
    if not (chain or records):
        return
    with session_scope() as session:
        report = audit.verify(session)
        findings = audit.verify_records(session) if records and report.ok else []
    if not report.ok:
        st.error(tr("audit.chain_bad", seq=report.bad_seq, reason=report.reason))
        return
    st.success(tr("audit.chain_ok", count=report.checked))
    if records and not findings:
        st.success(tr("audit.records_ok"))
    elif findings:
        st.error(tr("audit.records_bad", count=len(findings)))
        rows = [
            {
                tr("audit.table"): tr(f"table.{f.table}"),
                tr("audit.row"): f.row_id,
                tr("audit.record"): f.label or "",
                tr("audit.finding"): tr(f"audit.finding.{f.code}"),
            }
            for f in findings
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="audit_findings")


def _who(entry: AuditEntry, people: dict[int, str]) -> str:
    """The person's display name (the user name if the account is gone); the system's own
    entries say so in the reader's language."""
    if entry.actor_id is None:
        return tr("audit.system_actor")
    return people.get(entry.actor_id) or entry.actor_name


def _summary(entry: AuditEntry, actor: Actor) -> str:
    """What the entry records as ``label: value`` text: a changed row's fields by their
    labels, other details by the catalogue's ``detail.*`` names; values of columns the reader
    may not read (an exam's answer key) masked."""
    stored = entry.after if entry.action == "update" else (entry.detail or {})
    body = audit.readable_values(entry.table_name, stored, actor, tr("audit.hidden_value"))
    return readable(body, lang(), _field_labels(entry.table_name))[:200] if body else ""


def _field_labels(table: str | None) -> dict[str, str]:
    try:
        spec = get_spec(table or "")
    except KeyError:
        return {}
    return {f.name: f.label_in(lang()) for f in spec.fields}
