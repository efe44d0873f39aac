"""Trend series for the dashboards: any registered measure per day / week / month / quarter,
optionally split by department, area, category or level, plus the hazard heat map, the Heinrich
pyramid and the hazard-category Pareto.

Everything is aggregated in DuckDB over the actor's scoped rows (``analytics.duck.scoped``);
Polars only fills the empty periods and attaches labels. Periods are the site's local calendar
(weeks start on Monday, as in ``analytics.hazard_stats``); a measure on a DATE column (a
deadline, a violation day) is already local.

Definitions (consistent with ``analytics.hazard_stats``):

- hazards found: every reported hazard by ``found_at`` (rejected and voided included);
- hazards closed: state closed, by ``closed_at``;
- hazards overdue at deadline: by ``deadline`` (already past on ``today``), hazards that were not
  closed by it — closed on a later local day, or still open (``OPEN_STATES``);
- incidents: accidents and minor-injury events; near misses separately; by ``occurred_at``;
- violations: video violations not dismissed as false alarms; contractor violations not revoked;
- permits: by planned start, drafts, rejected and cancelled permits left out;
- inspections done: inspection tasks done, by ``done_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import polars as pl
from sqlalchemy import literal_column

from analytics.dimensions import AREA, DEPARTMENT, Split, label_of, labels, window_sql
from analytics.duck import Connection, condition, local_day_sql, local_ts, scoped
from analytics.kpi import HAZARD_ROWS
from core.hazard.overdue import missed_deadline_clause
from core.i18n import t
from core.rbac import Actor
from models.hazard import HazardLevel, HazardState
from models.incident import IncidentKind
from models.video import RuleKind

Grain = Literal["day", "week", "month", "quarter"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter")
EVERY = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "3mo"}
SPLITS = ("department", "area", "category", "level")


@dataclass(frozen=True)
class Measure:
    key: str
    table: str
    time: str
    where: Callable[[date, str], str] = lambda today, zone: "TRUE"  # SQL over ``r``
    local_date: bool = False  # ``time`` is a DATE in the site's calendar
    splits: dict[str, Split] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"trends.measure.{self.key}"

    def window(self, start: date, end: date, zone: str) -> str:
        return window_sql(f"r.{self.time}", self.local_date, start, end, zone)


HAZARD_SPLITS = {
    "department": DEPARTMENT,
    "area": AREA,
    "category": Split(
        "coalesce(hc.parent_code, hc.code)",
        "hazard_category",
        by="code",
        join="LEFT JOIN hazard_category hc ON hc.id = r.category_id",
        choices="parent_code IS NULL",
    ),
    "level": Split("r.level", enum=HazardLevel),
}
INCIDENT_SPLITS = {
    "department": DEPARTMENT,
    "area": AREA,
    "category": Split("r.accident_type_id", "accident_type"),
}


def _overdue(today: date, zone: str) -> str:
    """``core.hazard.overdue.missed_deadline_clause``: closed on a later local day, or open."""
    closed_late = literal_column(f"{local_day_sql('r.closed_at', zone)} > r.deadline")
    return condition(missed_deadline_clause(today, closed_late, HAZARD_ROWS))


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("hazards_found", "hazard", "found_at", splits=HAZARD_SPLITS),
        Measure(
            "hazards_closed",
            "hazard",
            "closed_at",
            lambda *_: f"r.state = '{HazardState.CLOSED.name}'",
            splits=HAZARD_SPLITS,
        ),
        Measure("hazards_overdue", "hazard", "deadline", _overdue, True, HAZARD_SPLITS),
        Measure(
            "incidents",
            "incident",
            "occurred_at",
            lambda *_: f"r.kind <> '{IncidentKind.NEAR_MISS.name}'",
            splits=INCIDENT_SPLITS | {"level": Split("r.kind", enum=IncidentKind)},
        ),
        Measure(
            "near_misses",
            "incident",
            "occurred_at",
            lambda *_: f"r.kind = '{IncidentKind.NEAR_MISS.name}'",
            splits=INCIDENT_SPLITS,
        ),
        Measure(
            "violations",
            "video_violation",
            "occurred_at",
            lambda *_: "r.state <> 'FALSE_ALARM'",
            splits={
                "department": DEPARTMENT,
                "area": Split(
                    "cam.area_id", "area", join="LEFT JOIN camera cam ON cam.id = r.camera_id"
                ),
                "category": Split("r.rule_kind", enum=RuleKind),
            },
        ),
        Measure(
            "contractor_violations",
            "contractor_violation",
            "occurred_on",
            lambda *_: "r.state <> 'REVOKED'",
            True,
            {"department": DEPARTMENT},
        ),
        Measure(
            "permits",
            "permit",
            "planned_start",
            lambda *_: "r.state NOT IN ('DRAFT', 'REJECTED', 'CANCELLED')",
            splits={
                "department": DEPARTMENT,
                "area": AREA,
                "category": Split("r.permit_type_id", "permit_type"),
                "level": Split("r.grade_id", "permit_grade"),
            },
        ),
        Measure(
            "inspections_done",
            "inspection_task",
            "done_at",
            lambda *_: "r.state = 'DONE'",
            splits={"department": DEPARTMENT},
        ),
    )
}


def period_start(day: date, grain: Grain) -> date:
    """The first day of the period holding ``day``."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day


def periods(start: date, end: date, grain: Grain) -> pl.Series:
    """Every period from the one holding ``start`` to the one holding ``end``."""
    first, last = period_start(start, grain), period_start(end, grain)
    return pl.date_range(first, last, EVERY[grain], eager=True).alias("period")


def series(
    con: Connection,
    actor: Actor,
    measure: str,
    grain: Grain,
    start: date,
    end: date,
    split: str | None = None,
    *,
    zone: str = "Asia/Shanghai",
    lang: str = "zh-CN",
    today: date | None = None,
) -> pl.DataFrame:
    """``(period, split, count)`` for every period of ``start``…``end`` (local days, inclusive)
    and every split value that occurs, empty periods counted 0; without ``split`` the one
    value is "all". Split values are ordered by their total, largest first."""
    m = MEASURES[measure]
    s = m.splits[split] if split else None
    local = f"CAST(r.{m.time} AS DATE)" if m.local_date else local_ts(f"r.{m.time}", zone)
    bucket = f"CAST(date_trunc('{grain}', {local}) AS DATE)"
    sql = (
        f"SELECT {bucket} AS period, {s.key if s else 'NULL'} AS k, count(*) AS n "
        f"FROM {scoped(m.table, actor)} r {s.join if s else ''} "
        f"WHERE {m.window(start, end, zone)} AND ({m.where(today or end, zone)}) GROUP BY ALL"
    )
    found = con.sql(sql).pl()
    schema = {"period": pl.Date, "split": pl.String, "count": pl.Int64}
    everything = t("trends.all", lang)
    if s is None:
        label = pl.lit(everything)
    else:
        label = label_of(found["k"], labels(con, s, set(found["k"].to_list()), lang), lang, "split")
    counted = (
        found.with_columns(split=label, count=pl.col("n").cast(pl.Int64))
        .group_by("period", "split")
        .agg(pl.col("count").sum())
    )
    if counted.is_empty():
        return pl.DataFrame(schema=schema) if s else _zero(start, end, grain, everything)
    grid = periods(start, end, grain).to_frame().join(counted.select("split").unique(), how="cross")
    totals = counted.group_by("split").agg(pl.col("count").sum().alias("all"))
    return (
        grid.join(counted, on=["period", "split"], how="left")
        .fill_null(0)
        .join(totals, on="split")
        .sort(["all", "split", "period"], descending=[True, False, False])
        .select(list(schema))
        .cast(schema)  # type: ignore[arg-type]
    )


def _zero(start: date, end: date, grain: Grain, label: str) -> pl.DataFrame:
    return (
        periods(start, end, grain)
        .to_frame()
        .with_columns(split=pl.lit(label), count=pl.lit(0, dtype=pl.Int64))
    )


def heatmap(
    con: Connection,
    actor: Actor,
    start: date,
    end: date,
    *,
    zone: str = "Asia/Shanghai",
    lang: str = "zh-CN",
) -> pl.DataFrame:
    """Hazards found per ``(area, weekday, hour)`` in local time; weekday 0 is Monday. Only
    the combinations that occur (a chart fills its own blanks)."""
    local = local_ts("r.found_at", zone)
    sql = (
        f"SELECT r.area_id AS k, CAST(isodow({local}) - 1 AS INTEGER) AS weekday, "
        f"CAST(hour({local}) AS INTEGER) AS hour, count(*) AS n "
        f"FROM {scoped('hazard', actor)} r "
        f"WHERE {MEASURES['hazards_found'].window(start, end, zone)} GROUP BY ALL"
    )
    found = con.sql(sql).pl()
    names = labels(con, AREA, set(found["k"].to_list()), lang)
    return (
        found.with_columns(area=label_of(found["k"], names, lang, "area"))
        .group_by("area", "weekday", "hour")
        .agg(count=pl.col("n").sum().cast(pl.Int64))
        .with_columns(pl.col("weekday").cast(pl.Int64), pl.col("hour").cast(pl.Int64))
        .sort("area", "weekday", "hour")
    )


HEINRICH_TIERS = ("fatal", "serious", "minor", "near_miss")


def heinrich(
    con: Connection,
    actor: Actor,
    start: date,
    end: date,
    *,
    zone: str = "Asia/Shanghai",
) -> pl.DataFrame:
    """Incidents per Heinrich tier, top of the pyramid first: an accident with a death is
    fatal, another accident serious, a minor-injury event minor, a near miss near_miss."""
    accident = IncidentKind.ACCIDENT.name
    tier = (
        f"CASE WHEN r.kind = '{accident}' AND r.deaths > 0 THEN 'fatal' "
        f"WHEN r.kind = '{accident}' THEN 'serious' "
        f"WHEN r.kind = '{IncidentKind.MINOR.name}' THEN 'minor' ELSE 'near_miss' END"
    )
    sql = (
        f"SELECT {tier} AS tier, count(*) AS n FROM {scoped('incident', actor)} r "
        f"WHERE {MEASURES['incidents'].window(start, end, zone)} GROUP BY ALL"
    )
    found = dict(con.sql(sql).fetchall())
    return pl.DataFrame(
        {"tier": list(HEINRICH_TIERS), "count": [int(found.get(k, 0)) for k in HEINRICH_TIERS]},
        schema={"tier": pl.String, "count": pl.Int64},
    )


def pareto(
    con: Connection,
    actor: Actor,
    start: date,
    end: date,
    *,
    zone: str = "Asia/Shanghai",
    lang: str = "zh-CN",
) -> pl.DataFrame:
    """Hazards found per top-level category, largest first, with share and cumulative share
    in percent (as ``analytics.hazard_stats.pareto``)."""
    frame = series(
        con, actor, "hazards_found", "quarter", start, end, "category", zone=zone, lang=lang
    )
    counts = frame.group_by("split").agg(pl.col("count").sum()).rename({"split": "category"})
    counts = counts.filter(pl.col("count") > 0)
    total = counts["count"].sum() or 1
    return counts.sort(["count", "category"], descending=[True, False]).with_columns(
        share=(pl.col("count") * 100.0 / total).round(1),
        cumulative=(pl.col("count").cum_sum() * 100.0 / total).round(1),
    )
