"""Tamper-evident audit trail.

Each entry stores the hash of the previous one; ``verify`` recomputes the chain and names the
first entry whose content, order or link no longer matches. Appenders first bump the single
``audit_head`` row, which takes the write lock on SQLite and a row lock on PostgreSQL, so
concurrent writers (app, CLI, detector) queue instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select, update

from core.db import utcnow
from core.rbac import Actor
from models.system import AuditEntry, AuditHead

GENESIS = "0" * 64
#: Left out of every snapshot, even one taken before the tables declared their secrets.
_SKIP_IN_SNAPSHOT = {"password_hash"}
#: Per table: column → None (left out) or the function that masks it; see declare_secrets.
_HIDDEN: dict[str, dict[str, Callable[[Any], Any] | None]] = {}


def jsonable(value: Any) -> Any:
    """Plain JSON value for hashing and storage (dates as ISO text, enums as values)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def declare_secrets(
    table: str, secret: Iterable[str], masked: Mapping[str, Callable[[Any], Any]]
) -> None:
    """Called by the table declarations (``core.crud.registry``), which sit above this layer:
    ``secret`` columns stay out of snapshots, ``masked`` ones are stored masked."""
    _HIDDEN[table] = {**dict.fromkeys(secret), **masked}


def snapshot(row: SQLModel) -> dict[str, Any]:
    """A row as audit-friendly JSON, secrets left out and masked columns masked (so neither
    the history nor the chain holds a credential)."""
    hidden = _HIDDEN.get(getattr(row, "__tablename__", ""), {})
    data = row.model_dump(warnings=False)
    return {
        k: jsonable(mask(v) if (mask := hidden.get(k)) else v)
        for k, v in data.items()
        if k not in _SKIP_IN_SNAPSHOT and (k not in hidden or hidden[k] is not None)
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the keys whose value changed, as shown in a record's history."""
    return {k: after.get(k) for k in after.keys() | before.keys() if before.get(k) != after.get(k)}


_ITEM_FIELDS = ("action", "table_name", "row_id", "enterprise_id", "before", "after", "detail")
_HASHED = ("seq", "ts", "actor_id", "actor_name", *_ITEM_FIELDS, "prev_hash")


def _digest(entry: AuditEntry | dict[str, Any]) -> str:
    get = entry.get if isinstance(entry, dict) else partial(getattr, entry)
    body = {name: get(name) for name in _HASHED}
    body["ts"] = get("ts").isoformat(timespec="microseconds")
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _create_head(session: Session) -> None:
    """Insert the tip row of a new chain. Two first writers may race here: the loser's insert
    waits for the winner and does nothing, instead of failing its whole transaction."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(AuditHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    session.execute(stmt)


def _claim(session: Session, count: int) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers; returns (last seq before, last hash before)."""
    bumped = session.exec(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count)
    )
    if bumped.rowcount == 0:
        _create_head(session)
        session.exec(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count))
    head = session.exec(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return head[0] - count, head[1]


def record_many(
    session: Session, actor: Actor | None, items: list[dict[str, Any]]
) -> list[AuditEntry]:
    """Append several entries in the caller's transaction (imports write one per row).

    Entries are inserted in bulk rather than as ORM objects: an import of 10,000 rows spent
    most of its time building and flushing them. The returned entries are not in the session.
    """
    if not items:
        return []
    for item in items:
        if unknown := item.keys() - set(_ITEM_FIELDS):
            raise TypeError(f"unknown audit fields: {sorted(unknown)}")
    seq, prev = _claim(session, len(items))
    now = utcnow()
    rows = []
    for item in items:
        seq += 1
        row = {
            "seq": seq,
            "ts": now,
            "actor_id": actor.user_id if actor else None,
            "actor_name": actor.username if actor else "system",
            **{k: jsonable(item.get(k)) for k in _ITEM_FIELDS},
            "prev_hash": prev,
        }
        row["hash"] = prev = _digest(row)
        rows.append(row)
    session.exec(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))
    session.execute(insert(AuditEntry), rows)
    return [AuditEntry.model_construct(**row) for row in rows]


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    table_name: str | None = None,
    row_id: int | None = None,
    enterprise_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (login, change, export, ...) in the caller's transaction."""
    item = {
        "action": action,
        "table_name": table_name,
        "row_id": row_id,
        "enterprise_id": enterprise_id,
        "before": before,
        "after": after,
        "detail": detail,
    }
    return record_many(session, actor, [item])[0]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    bad_seq: int | None = None
    bad_id: int | None = None
    reason: str = ""


def verify(session: Session, batch: int = 2000) -> ChainReport:
    """Walk the chain in order; the first entry that breaks it is reported."""
    prev, expected_seq, checked = GENESIS, 1, 0
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.exec(stmt):
        reason = ""
        if entry.seq != expected_seq:
            reason = f"missing entry before seq {entry.seq} (expected {expected_seq})"
        elif entry.prev_hash != prev:
            reason = "link to previous entry broken"
        elif _digest(entry) != entry.hash:
            reason = "content changed after it was written"
        if reason:
            return ChainReport(False, checked, entry.seq, entry.id, reason)
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return ChainReport(False, checked, checked + 1, None, "entries removed from the end")
    return ChainReport(True, checked)


def record_update(
    session: Session, actor: Actor | None, table_name: str, row: SQLModel, before: dict[str, Any]
) -> None:
    """Stamp, flush and audit an edited row: only the fields that changed, nothing when none."""
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    after = snapshot(row)
    delta = changes(before, after)
    delta.pop("updated_at", None)
    if delta:
        record(
            session,
            actor,
            "update",
            table_name=table_name,
            row_id=row.id,
            enterprise_id=getattr(row, "enterprise_id", None),
            before={k: before.get(k) for k in delta},
            after=delta,
        )
