"""Checking the chain: every link, every MAC, the head row and every anchor.

Only the key's holder can produce a valid MAC, so an entry appended, edited or removed with
the hashes recomputed (by plain SHA-256 or under another key) is named. The head row must
match the last entry, and the chain must reach every anchor written outside the database: a
chain cut short, head row and all, still fails against the anchors.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.audit.anchors import Anchor, read_anchors
from core.audit.keys import GENESIS, Mac, genesis, key_for, mac_with
from core.config import get_settings
from models.system import AuditEntry, AuditHead

NOT_KEYED = (
    "the chain is not keyed yet (written before the audit key existed): "
    "run `safeloop audit baseline`"
)
WRONG_KEY = (
    "the first entry is not linked to this installation's audit key "
    "(another key, or a chain rebuilt without it)"
)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    bad_id: int | None = None
    reason: str = ""
    tip: str = ""


def _first_link(prev_hash: str, key: bytes) -> str:
    if prev_hash == GENESIS:
        return NOT_KEYED
    return "" if prev_hash == genesis(key) else WRONG_KEY


def _entry_problem(entry: AuditEntry, expected_seq: int, prev: str, key: bytes, mac: Mac) -> str:
    if entry.seq != expected_seq:
        return f"missing entry before seq {entry.seq} (expected {expected_seq})"
    if entry.seq == 1 and (reason := _first_link(entry.prev_hash, key)):
        return reason
    if entry.prev_hash != prev:
        return "link to previous entry broken"
    if mac(entry) != entry.hash:
        return "content changed after it was written"
    broken = (entry.detail or {}).get("legacy_broken_at") if entry.action == "rekey" else None
    if broken:
        return (
            f"the chain was already broken at seq {broken['seq']} ({broken['reason']}) "
            "before it was keyed"
        )
    return ""


def _end_problem(session: Session, checked: int, tip: str, anchors: list[Anchor]) -> str:
    head = session.get(AuditHead, 1)
    if head is None and checked:
        return "the chain's head row is missing"
    if head is not None and (head.seq != checked or head.hash != tip):
        if checked == 0:
            return f"all entries removed (the head names seq {head.seq})"
        return "entries removed from the end"
    beyond = [a for a in anchors if a.seq > checked]
    if beyond:
        a = max(beyond, key=lambda a: a.seq)
        return f"chain shortened: the anchor of {a.at} names seq {a.seq}, it ends at {checked}"
    return ""


def verify(
    session: Session,
    batch: int = 2000,
    *,
    key: bytes | None = None,
    anchors: list[Anchor] | None = None,
) -> ChainReport:
    """Walk the chain in order; the first entry that breaks it is reported. ``key`` and
    ``anchors`` default to the installation's (its key, its anchor file)."""
    key = key_for(session) if key is None else key
    if anchors is None:
        anchors, bad_lines = read_anchors(get_settings().audit_anchors_file)
        if bad_lines:
            return ChainReport(False, 0, None, None, f"anchor file lines {bad_lines} unreadable")
    by_seq = {a.seq: a for a in anchors}
    mac = mac_with(key)
    prev, expected_seq, checked = genesis(key), 1, 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.exec(stmt):
        reason = _entry_problem(entry, expected_seq, prev, key, mac)
        anchor = by_seq.get(entry.seq)
        if not reason and anchor is not None and anchor.hash != entry.hash:
            reason = f"differs from the anchor of {anchor.at}"
        if reason:
            return ChainReport(False, checked, entry.seq, entry.id, reason, prev)
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    if reason := _end_problem(session, checked, prev, anchors):
        return ChainReport(False, checked, checked + 1, None, reason, prev)
    return ChainReport(True, checked, tip=prev)
