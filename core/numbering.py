"""One allocator for every generated record number.

A number used to be "highest taken + 1", read and written in two steps: concurrent reporters
(and every row of one Excel import) drew the same number and the unique constraint threw the
report away. Here the counter row of the prefix is claimed with a single
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` in the caller's transaction: SQLite serialises
it on the database write lock, PostgreSQL on the row lock, and the claim is rolled back with
the record if the transaction fails. The audit chain's head is locked first: every writer
appends to the chain, so taking the head before the counter keeps one lock order everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, select

from core import audit
from core.db import upsert_insert
from models.numbering import NumberCounter


def next_number(session: Session, key: str, floor: int = 0) -> int:
    """The next number of ``key``, never at or below ``floor`` (the highest number already
    given outside the counter: an older database, an import that brought its own numbers)."""
    audit.lock_head(session)
    value = NumberCounter.__table__.c.value  # type: ignore[attr-defined]
    stmt = (
        upsert_insert(session, NumberCounter)
        .values(key=key, value=floor + 1)
        .on_conflict_do_update(
            index_elements=["key"], set_={"value": case((value >= floor, value), else_=floor) + 1}
        )
        .returning(value)
    )
    return int(session.execute(stmt).scalar_one())


def highest_taken(session: Session, column: InstrumentedAttribute[Any], prefix: str) -> int:
    """The highest sequence stored in ``column`` after ``prefix`` (0 if none): longest first,
    so that ``…1000`` beats ``…999`` once a sequence outgrows its zero padding."""
    last = session.exec(
        select(column)
        .where(column.like(f"{prefix}%"))
        .order_by(func.length(column).desc(), column.desc())
        .limit(1)
    ).first()
    tail = str(last)[len(prefix) :] if last else ""
    return int(tail) if tail.isdigit() else 0


def next_in(session: Session, column: InstrumentedAttribute[Any], prefix: str) -> int:
    """The next sequence of ``prefix`` for the numbers kept in ``column``."""
    key = f"{column.class_.__tablename__}:{prefix}"
    return next_number(session, key, highest_taken(session, column, prefix))
