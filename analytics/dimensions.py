"""Dimensions of the analytical queries: how rows are told apart (a SQL key over the row ``r``)
and how those keys are named in the user's language, plus the local-calendar time window.

Shared by the trend series (``analytics.trends``) and the chart builder (``analytics.datasets``),
so a department or a hazard category is keyed and labelled the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import polars as pl

from analytics.duck import Connection
from analytics.local_time import utc_midnight
from core.i18n import t

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

    def name_sql(self, lang: str) -> str:
        """The label column of the names table: ``name_en`` in English where it has one."""
        english = lang == "en" and self.names in BILINGUAL
        return "coalesce(nullif(name_en, ''), name)" if english else "name"


DEPARTMENT = Split("r.department_id", "department")
AREA = Split("r.area_id", "area")


def labels(con: Connection, s: Split, keys: set[object], lang: str) -> dict[object, str]:
    """Names of the keys that occur: a names table's ``name`` (``name_en`` in English where
    it has one) or the enum's label."""
    keys.discard(None)
    if not keys:
        return {}
    if s.enum is not None:
        return {k: t(f"enum.{s.enum.__name__}.{s.enum[str(k)].value}", lang) for k in keys}
    sql = f"SELECT {s.by}, {s.name_sql(lang)} FROM {s.names} WHERE {s.by} IN (SELECT unnest(?))"
    rows = con.execute(sql, [sorted(keys)]).fetchall()  # type: ignore[type-var]
    return dict(rows)


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
