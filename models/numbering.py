"""The counters behind every generated record number (hazards, permits, incidents).

One row per number prefix (``hazard:YH-2026-``); ``core.numbering`` claims it with one atomic
upsert inside the caller's transaction, so concurrent writers and bulk imports never draw the
same number.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class NumberCounter(SQLModel, table=True):
    """The last number handed out for ``key`` (record kind and number prefix)."""

    __tablename__ = "number_counter"

    key: str = Field(primary_key=True, max_length=80)
    value: int = Field(default=0)
