"""Dimensions of the analytical queries: how rows are told apart (a SQL key over the row ``r``)
and how those keys are named in the user's language, plus the local-calendar time window.

Shared by the trend series (``analytics.trends``) and the chart builder (``analytics.datasets``),
so a department or a hazard category is keyed and labelled the same way everywhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import polars as pl

from analytics.duck import Connection
from core.i18n import t
from core.local_time import utc_midnight

#: Names tables with an English ``name_en`` next to the Chinese ``name``.
BILINGUAL = ("hazard_category", "accident_type", "accident_grade", "permit_type", "permit_grade")


@dataclass(frozen=True)
class Split:
    """How rows are told apart: a SQL key over the row ``r`` (and ``join``), labelled from a
    names table (``id``/``code`` → ``name``/``name_en``) or an enum."""

    key: str
    names: str | None = None  # table holding the labels
    by: str = "id"  # its key column
    enum: type[StrEnum] | None = None
    join: str = ""
    choices: str = "TRUE"  # the names-table rows a filter offers (top-level categories only)
    owner: str | None = None  # the table (``<owner>_id``) whose name tells same names apart

    def name_sql(self, lang: str) -> str:
        """The label column of the names table: ``name_en`` in English where it has one."""
        english = lang == "en" and self.names in BILINGUAL
        return "coalesce(nullif(name_en, ''), name)" if english else "name"

    def owner_sql(self) -> str:
        """The owner's name of the names-table row ``n`` (NULL without an owner)."""
        if self.owner is None:
            return "NULL"
        return f"(SELECT o.name FROM {self.owner} o WHERE o.id = n.{self.owner}_id)"


DEPARTMENT = Split("r.department_id", "department", owner="enterprise")
AREA = Split("r.area_id", "area", owner="enterprise")


def distinct_labels(rows: Iterable[tuple[Any, Any, Any]]) -> dict[Any, str]:
    """``(key, label, owner)`` rows → key: label, where a label two keys share names its owner
    ("生产部 · 华信化工"): two enterprises' departments of one name stay two bars, two lines."""
    rows = list(rows)
    count = Counter(label for _, label, _ in rows)
    return {
        key: f"{label} · {owner}" if count[label] > 1 and owner else str(label)
        for key, label, owner in rows
    }


def labels(con: Connection, s: Split, keys: set[object], lang: str) -> dict[object, str]:
    """Names of the keys that occur: a names table's ``name`` (``name_en`` in English where
    it has one; same names told apart by their owner) or the enum's label."""
    keys.discard(None)
    if not keys:
        return {}
    if s.enum is not None:
        return {k: t(f"enum.{s.enum.__name__}.{s.enum[str(k)].value}", lang) for k in keys}
    sql = (
        f"SELECT n.{s.by}, {s.name_sql(lang)}, {s.owner_sql()} FROM {s.names} n "
        f"WHERE n.{s.by} IN (SELECT unnest(?))"
    )
    return distinct_labels(con.execute(sql, [sorted(keys)]).fetchall())  # type: ignore[type-var]


def label_of(keys: pl.Series, names: dict[object, str], lang: str, alias: str) -> pl.Series:
    """Each key's label; no key (or a key without a name) is "not set"."""
    none = t("trends.none", lang)
    return pl.Series(alias, [names.get(k, none) for k in keys.to_list()], dtype=pl.String)


def window_sql(column: str, local_date: bool, start: date, end: date, zone: str) -> str:
    """``column`` within the local days ``start``…``end`` (inclusive): a DATE column is already
    local; a naive-UTC timestamp is compared with the UTC instants those days begin and end."""
    if local_date:
        return f"{column} >= DATE '{start}' AND {column} <= DATE '{end}'"
    lo = utc_midnight(start, zone).replace(tzinfo=None)
    hi = utc_midnight(end + timedelta(days=1), zone).replace(tzinfo=None)
    return f"{column} >= TIMESTAMP '{lo}' AND {column} < TIMESTAMP '{hi}'"
