"""Appending to the audit chain.

Each entry stores the MAC of the previous one; appenders first bump the single ``audit_head``
row, which takes the write lock on SQLite and a row lock on PostgreSQL, so concurrent writers
(app, CLI, detector) queue instead of forking the chain.

A chain written before the audit key existed is re-keyed by the first append (or by
``safeloop audit baseline``), under the head's lock and in the appender's transaction: the
old chain is checked with the plain digest it was written with, every entry is re-MACed in
order, and a ``rekey`` entry records how many entries were taken over and, when the old chain
no longer verified, where and why. That is safe because nothing is trusted that the old chain
did not already prove: a break found then stays on record in a keyed entry (``verify`` keeps
reporting it), and from then on a change needs the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import bindparam, insert
from sqlmodel import Session, SQLModel, select, update

from core.audit.keys import _ITEM_FIELDS, GENESIS, genesis, key_for, legacy_digest, mac_with
from core.db import utcnow
from core.rbac import Actor
from models.system import AuditEntry, AuditHead

#: Left out of every snapshot, even one taken before the tables declared their secrets.
_SKIP_IN_SNAPSHOT = {"password_hash"}
#: Per table: column → None (left out) or the function that masks it; see declare_secrets.
_HIDDEN: dict[str, dict[str, Callable[[Any], Any] | None]] = {}
#: ``session.info`` key of the last actor that wrote an entry (seals made in a flush use it).
ACTOR_INFO = "audit_actor"
#: Told of every append (``seal`` re-seals rows created by bulk SQL, such as imports).
AppendHook = Callable[[Session, Actor | None, list[dict[str, Any]]], None]
_ON_APPEND: list[AppendHook] = []


def on_append(hook: AppendHook) -> AppendHook:
    if hook not in _ON_APPEND:
        _ON_APPEND.append(hook)
    return hook


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
    return shown_values(getattr(row, "__tablename__", ""), row.model_dump(warnings=False))


def shown_values(table: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Column values of ``table`` as a snapshot holds them (rows inserted in bulk by an
    import have no ORM object to snapshot)."""
    hidden = _HIDDEN.get(table, {})
    return {
        k: jsonable(mask(v) if (mask := hidden.get(k)) else v)
        for k, v in data.items()
        if k not in _SKIP_IN_SNAPSHOT and (k not in hidden or hidden[k] is not None)
    }


def acting_as(session: Session, actor: Actor | None) -> None:
    """Name who acts in this session before anything is flushed: the seals a flush writes
    (``core.audit.seal``) are signed with the last actor named here or by an append."""
    if actor is not None:
        session.info[ACTOR_INFO] = actor


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only the keys whose value changed, as shown in a record's history."""
    return {k: after.get(k) for k in after.keys() | before.keys() if before.get(k) != after.get(k)}


def _create_head(session: Session) -> None:
    """Insert the tip row of a new chain. Two first writers may race here: the loser's insert
    waits for the winner and does nothing, instead of failing its whole transaction."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(AuditHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    session.execute(stmt)


def _bump(session: Session, count: int) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers; returns (last seq before, last hash before)."""
    bumped = session.exec(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count)
    )
    if bumped.rowcount == 0:
        _create_head(session)
        session.exec(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + count))
    seq, tip = session.exec(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    return seq - count, tip


def lock_head(session: Session) -> None:
    """Take the chain head's lock now. Writers that hold another row lock before they append
    (a record number's counter) call this first, so every transaction takes the head before
    anything else and two writers can never wait on each other in opposite order (a
    detector hit audits, then numbers its hazard; a report numbers, then audits: on
    PostgreSQL that was a deadlock)."""
    _bump(session, 0)


def is_legacy(session: Session) -> bool:
    """Whether the chain's first entry was linked before the audit key existed."""
    first = session.exec(select(AuditEntry.prev_hash).where(AuditEntry.seq == 1)).first()
    return first == GENESIS


def _entries(session: Session) -> Iterable[dict[str, Any]]:
    """Every entry in order, as plain dicts (never ORM objects: re-keying must not dirty them)."""
    stmt = select(AuditEntry.__table__).order_by(AuditEntry.seq)
    return (dict(row) for row in session.execute(stmt).mappings())


def _legacy_break(session: Session) -> dict[str, Any] | None:
    """Where the unkeyed chain fails its own (public) digest, if it does."""
    prev, expected = GENESIS, 1
    for entry in _entries(session):
        if entry["seq"] != expected or entry["prev_hash"] != prev:
            return {"seq": entry["seq"], "reason": "link or order broken"}
        if legacy_digest(entry) != entry["hash"]:
            return {"seq": entry["seq"], "reason": "content changed"}
        prev, expected = entry["hash"], expected + 1
    return None


def _rekey(session: Session, key: bytes) -> tuple[str, dict[str, Any]]:
    """Re-MAC the whole unkeyed chain in order (see the module docstring); the caller holds
    the head's lock. Returns the new tip and the ``rekey`` entry's detail."""
    broken = _legacy_break(session)
    mac, prev, rows = mac_with(key), genesis(key), []
    for entry in list(_entries(session)):
        entry["prev_hash"] = prev
        prev = mac(entry)
        rows.append({"entry_id": entry["id"], "new_prev": entry["prev_hash"], "new_hash": prev})
    table = AuditEntry.__table__
    session.connection().execute(
        table.update()
        .where(table.c.id == bindparam("entry_id"))
        .values(prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")),
        rows,
    )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditEntry):
            session.expire(obj)
    return prev, {"entries": len(rows), "legacy_broken_at": broken}


def _claim(session: Session, count: int, key: bytes) -> tuple[int, str, list[dict[str, Any]]]:
    """Reserve ``count`` numbers and return (seq before, hash before, entries to put first):
    a new chain starts from the key's genesis, an unkeyed one is re-keyed first."""
    seq, tip = _bump(session, count)
    if seq == 0:
        return 0, genesis(key), []
    if not is_legacy(session):
        return seq, tip, []
    tip, detail = _rekey(session, key)
    session.exec(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    return seq, tip, [{"action": "rekey", "detail": detail}]


def rekey(session: Session) -> bool:
    """Re-key an unkeyed chain now (``safeloop audit baseline``); False when already keyed."""
    if not is_legacy(session):
        return False
    _append(session, None, [])
    return True


def record_many(
    session: Session, actor: Actor | None, items: list[dict[str, Any]]
) -> list[AuditEntry]:
    """Append several entries in the caller's transaction (imports write one per row).

    Entries are inserted in bulk rather than as ORM objects: an import of 10,000 rows spent
    most of its time building and flushing them. The returned entries are not in the session.
    """
    for item in items:
        if unknown := item.keys() - set(_ITEM_FIELDS):
            raise TypeError(f"unknown audit fields: {sorted(unknown)}")
    return _append(session, actor, items) if items else []


def _append(session: Session, actor: Actor | None, items: list[dict[str, Any]]) -> list[AuditEntry]:
    """``record_many`` without the checks; with no items it only re-keys an unkeyed chain."""
    acting_as(session, actor)
    key = key_for(session)
    seq, prev, first = _claim(session, len(items), key)
    mac, now, rows = mac_with(key), utcnow(), []
    for item in [*first, *items]:
        seq += 1
        row = {
            "seq": seq,
            "ts": now,
            "actor_id": actor.user_id if actor else None,
            "actor_name": actor.username if actor else "system",
            **{k: jsonable(item.get(k)) for k in _ITEM_FIELDS},
            "prev_hash": prev,
        }
        row["hash"] = prev = mac(row)
        rows.append(row)
    session.exec(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))
    session.execute(insert(AuditEntry), rows)
    for hook in _ON_APPEND:
        hook(session, actor, items)
    return [AuditEntry.model_construct(**row) for row in rows[len(first) :]]


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
