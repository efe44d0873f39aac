"""Sealed records: a record's content hash written into the keyed chain.

A table declares when its rows are sealed: every row on every change (accounts and grants),
or once a condition holds (a closed hazard, a submitted exam). A seal is an audit entry
(``action="seal"``) holding the SHA-256 of the row's columns and of its attachments' hashes;
the chain's MAC protects it, so ``verify_records`` can tell every change made outside the app.

The rule that keeps app-made changes from being flagged: every write the app makes through the
ORM (``crud``, the account and grant functions, workflow steps, attachments) re-seals the row
when the row is sealed now or should be (``reseal``, from a flush hook, from
``core.workflow.fire`` and after each ``create`` entry, which covers imports' bulk inserts). A
reopened hazard therefore gets a new seal with its new content; only the latest seal counts.
Other bulk SQL writes (the demo's loader) bypass all three: ``seal_missing`` seals after them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlmodel import Session, SQLModel, select

from core import installed
from core.audit.chain import ACTOR_INFO, jsonable, on_append, record_many
from models.system import Attachment, AuditEntry

Row = Mapping[str, Any]
#: Columns that name a row in findings, the first one a table has.
_LABELS = ("number", "exam_no", "username", "code")
#: Stamped on every write; not content.
_ALWAYS_VOLATILE = frozenset({"updated_at"})
#: Row ids per ``IN (...)`` when re-sealing an import.
_CHUNK = 500


@dataclass(frozen=True)
class Sealed:
    """``when`` None: every row is sealed on every change (a row without a seal is forged)."""

    table: str
    when: Callable[[Row], bool] | None = None
    volatile: frozenset[str] = frozenset()
    name: Callable[[Row], str] | None = None

    def label(self, row: Row) -> str | None:
        """What a person calls the row: its number or user name, or the declared ``name``."""
        if self.name is not None:
            return self.name(row)
        column = next((c for c in _LABELS if c in row), None)
        return None if column is None or row[column] is None else str(row[column])


#: What ``verify_records`` can find, by code (the page translates ``audit.finding.<code>``).
REASONS = {
    "unsealed": "has no seal: written outside the app",
    "changed": "changed outside the app after it was sealed",
    "deleted": "deleted outside the app",
}


@dataclass(frozen=True)
class Finding:
    """A sealed record changed outside the app."""

    table: str
    row_id: int
    label: str | None
    code: str

    @property
    def reason(self) -> str:
        return REASONS[self.code]


_SEALED: dict[str, Sealed] = {}


def declare_sealed(
    table: str,
    *,
    when: Callable[[Row], bool] | None = None,
    volatile: Iterable[str] = (),
    name: Callable[[Row], str] | None = None,
) -> Sealed:
    """Seal ``table``'s rows (see ``Sealed``); ``volatile`` columns change without the app
    re-sealing (log-in counters) and are left out of the hash; ``name`` names a row in
    findings when it has no number or user name."""
    spec = Sealed(table, when, frozenset(volatile) | _ALWAYS_VOLATILE, name)
    _SEALED[table] = spec
    return spec


def state_in(field: str, states: Iterable[str]) -> Callable[[Row], bool]:
    """A ``when`` for workflow tables: sealed once the record reaches one of ``states``."""
    wanted = frozenset(str(s) for s in states)
    return lambda row: str(jsonable(row[field])) in wanted


def digest(spec: Sealed, row: Row, files: Iterable[str]) -> str:
    body = {k: jsonable(v) for k, v in row.items() if k not in spec.volatile}
    text = json.dumps(
        {"row": body, "files": sorted(files)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(session: Session, spec: Sealed, ids: list[int] | None) -> Iterator[Row]:
    table = SQLModel.metadata.tables[spec.table]
    stmt = select(table).order_by(table.c.id)
    if ids is not None:
        stmt = stmt.where(table.c.id.in_(ids))
    return iter(session.execute(stmt).mappings())


def _files(session: Session, table: str, ids: list[int] | None) -> dict[int, list[str]]:
    stmt = select(Attachment.row_id, Attachment.sha256).where(
        Attachment.table_name == table, Attachment.deleted_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Attachment.row_id.in_(ids))
    found: dict[int, list[str]] = {}
    for row_id, sha in session.exec(stmt):
        found.setdefault(row_id, []).append(sha)
    return found


def _last_seals(session: Session, table: str, ids: list[int] | None) -> dict[int, dict[str, Any]]:
    stmt = (
        select(AuditEntry.row_id, AuditEntry.detail)
        .where(AuditEntry.table_name == table, AuditEntry.action == "seal")
        .order_by(AuditEntry.seq)
    )
    if ids is not None:
        stmt = stmt.where(AuditEntry.row_id.in_(ids))
    return {row_id: detail or {} for row_id, detail in session.exec(stmt)}


def _item(spec: Sealed, row_id: int, detail: dict[str, Any], row: Row | None) -> dict[str, Any]:
    return {
        "action": "seal",
        "table_name": spec.table,
        "row_id": row_id,
        "enterprise_id": row.get("enterprise_id") if row is not None else None,
        "detail": detail,
    }


def _seal_detail(spec: Sealed, row: Row, files: list[str]) -> dict[str, Any]:
    return {"digest": digest(spec, row, files), "files": len(files), "label": spec.label(row)}


def reseal(session: Session, table: str, ids: Iterable[int], actor: Any = None) -> int:
    """Seal the given rows of ``table`` after an app write, where the rule says so (module
    docstring); a row whose content matches its latest seal is not sealed again. Returns the
    number of seals written (by ``actor``, else the session's last auditing actor)."""
    spec = _SEALED.get(table)
    wanted = sorted({i for i in ids if i is not None})
    if spec is None or not wanted:
        return 0
    rows = {row["id"]: row for row in _rows(session, spec, wanted)}
    files = _files(session, table, wanted)
    last = _last_seals(session, table, wanted)
    items = []
    for row_id in wanted:
        row, prior = rows.get(row_id), last.get(row_id)
        if row is None:
            if prior is not None and not prior.get("deleted"):
                items.append(_item(spec, row_id, {"deleted": True}, None))
            continue
        if prior is None and spec.when is not None and not spec.when(row):
            continue
        detail = _seal_detail(spec, row, files.get(row_id, []))
        if prior is None or prior.get("digest") != detail["digest"]:
            items.append(_item(spec, row_id, detail, row))
    record_many(session, actor or session.info.get(ACTOR_INFO), items)
    return len(items)


def _changed(session: Session, obj: Any, spec: Sealed) -> bool:
    if obj in session.new:
        # A new evidence record is sealed by its ``create`` entry (``_created``), so its history
        # reads create → seal; accounts and grants are sealed at once (not all get one).
        return spec.when is None
    if obj in session.deleted:
        return True
    state = inspect(obj)
    return any(
        state.attrs[attr.key].history.has_changes()
        for attr in state.mapper.column_attrs
        if attr.key not in spec.volatile
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Re-seal what this flush wrote to sealed tables (or to their rows' attachments)."""
    if not _SEALED:
        return
    touched: dict[str, set[int]] = {}
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Attachment):
            if obj.table_name in _SEALED:
                touched.setdefault(obj.table_name, set()).add(obj.row_id)
        elif (spec := _SEALED.get(getattr(obj, "__tablename__", ""))) and _changed(
            session, obj, spec
        ):
            touched.setdefault(spec.table, set()).add(obj.id)
    for table, ids in touched.items():
        reseal(session, table, ids)


@on_append
def _created(session: Session, actor: Any, items: list[dict[str, Any]]) -> None:
    """Seal created rows once their ``create`` entry is written: forms and imports (whose bulk
    SQL never reaches the flush hook) alike."""
    created: dict[str, list[int]] = {}
    for item in items:
        if item.get("action") == "create" and item.get("table_name") in _SEALED:
            created.setdefault(item["table_name"], []).append(item["row_id"])
    for table, ids in created.items():
        for start in range(0, len(ids), _CHUNK):
            reseal(session, table, ids[start : start + _CHUNK], actor)


def seal_missing(session: Session, actor: Any) -> int:
    """Seal every row that should carry a seal and has none (after an upgrade or a bulk load
    that bypassed the ORM); recorded in the chain like every seal. Returns how many."""
    installed.load()  # the domains declare their sealed tables
    total = 0
    for spec in list(_SEALED.values()):
        last = _last_seals(session, spec.table, None)
        files = _files(session, spec.table, None)
        items = [
            _item(spec, row["id"], _seal_detail(spec, row, files.get(row["id"], [])), row)
            for row in _rows(session, spec, None)
            if (row["id"] not in last or last[row["id"]].get("deleted"))
            and (spec.when is None or spec.when(row))
        ]
        record_many(session, actor, items)
        total += len(items)
    return total


def verify_records(session: Session) -> list[Finding]:
    """Recompute every sealed record's hash against its latest seal; one finding per record
    changed, inserted or deleted outside the app (the chain itself is ``verify``'s job)."""
    installed.load()  # the domains declare their sealed tables
    findings = []
    for spec in list(_SEALED.values()):
        last = _last_seals(session, spec.table, None)
        files = _files(session, spec.table, None)
        for row in _rows(session, spec, None):
            seal = last.pop(row["id"], None)
            reason = ""
            if seal is None or seal.get("deleted"):
                if spec.when is None or spec.when(row):
                    reason = "unsealed"
            elif digest(spec, row, files.get(row["id"], [])) != seal.get("digest"):
                reason = "changed"
            if reason:
                findings.append(Finding(spec.table, row["id"], spec.label(row), reason))
        findings += [
            Finding(spec.table, row_id, seal.get("label"), "deleted")
            for row_id, seal in last.items()
            if not seal.get("deleted")
        ]
    return findings
