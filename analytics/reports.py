"""Figures behind the statutory and management reports (统计报表), aggregated in DuckDB.

Three reports: the monthly dual-prevention operation report (双重预防机制运行月报: risk points by
level, inspections planned and done, hazards by level, the major hazards), the annual accident
statistics table (事故统计表, by month and GB 6441 type) and the training register (培训台账).
Each function takes a DuckDB connection from :func:`analytics.duck.connect`, the actor (whose
scope enters every table through :func:`analytics.duck.scoped`) and the period, and returns a
Polars frame; ``core.reporting.reports`` lays the frames out as Excel and PDF.

Hazard figures use the cockpit's definitions (``analytics.kpi``): found excludes rejected and
voided reports, closed counts the hazards found in the month that are closed, overdue is the
snapshot on the day after the month (today for the running month). Risk levels are not kept per
day, so each point counts at its current level; the change over the month is the points added
and retired in it.

Example:
    >>> con = connect(get_settings().db_url)  # doctest: +SKIP
    >>> hazard_levels(con, actor, month_period(2030, 5), date(2030, 6, 3))  # doctest: +SKIP
    shape: (2, 5) ...
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

import polars as pl

from analytics.duck import Connection, as_ts, enum_names, local_day_sql, scoped, utc_instant
from analytics.kpi import Period, during, overdue_sql
from core.rbac import Actor
from models.enums import RiskLevel
from models.hazard import OPEN_STATES, HazardLevel, HazardState
from models.incident import IncidentKind
from models.risk_inspection import InspectionPlanType, InspectionTaskState
from models.training import TrainingResult

ZONE = "Asia/Shanghai"
#: Inspection rows: the plan types, then tasks made without a plan.
UNPLANNED = "unplanned"
INSPECTION_KINDS: tuple[str, ...] = (*(k.value for k in InspectionPlanType), UNPLANNED)
EXCLUDED = (HazardState.REJECTED, HazardState.VOIDED)


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def rows(table: str, actor: Actor, enterprise_id: int | None, *, deleted: bool = False) -> str:
    """The table's scoped rows, narrowed to one enterprise when one is picked."""
    where = f" WHERE s.enterprise_id = {int(enterprise_id)}" if enterprise_id else ""
    return f"(SELECT * FROM {scoped(table, actor, include_deleted=deleted)} s{where})"


def _frame(con: Connection, sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(con.sql(sql).fetchall(), schema=schema, orient="row")


def _value(enum: Any, name: str | None) -> str | None:
    """An enum NAME as stored (``MAJOR``) → its value (``major``)."""
    return None if name is None else enum[name].value


# --- the monthly dual-prevention report -------------------------------------------------------

RISK_SCHEMA = {"level": pl.String, "at_start": pl.Int64, "added": pl.Int64,
               "retired": pl.Int64, "at_end": pl.Int64, "change": pl.Int64}  # fmt: skip


def risk_levels(
    con: Connection,
    actor: Actor,
    period: Period,
    *,
    zone: str = ZONE,
    enterprise_id: int | None = None,
) -> pl.DataFrame:
    """One row per risk level (major first): points at the end of the previous month, added
    and retired in the month, at its end, and the change; each point at its current level."""
    lo, hi = utc_instant(period.start, zone), utc_instant(period.end + timedelta(days=1), zone)
    created, deleted = as_ts("r.created_at"), as_ts("r.deleted_at")

    def alive(at: str) -> str:
        return f"{created} < {at} AND (r.deleted_at IS NULL OR {deleted} >= {at})"

    found = con.sql(
        f"SELECT r.current_level, count(*) FILTER ({alive(lo)}), "
        f"count(*) FILTER ({created} >= {lo} AND {created} < {hi}), "
        f"count(*) FILTER ({deleted} >= {lo} AND {deleted} < {hi}), count(*) FILTER ({alive(hi)}) "
        f"FROM {rows('risk_point', actor, enterprise_id, deleted=True)} r GROUP BY 1"
    ).fetchall()
    by_level = {name: counts for name, *counts in found}
    out = []
    for level in RiskLevel:
        start, added, retired, end = by_level.get(level.name, (0, 0, 0, 0))
        out.append((level.value, start, added, retired, end, end - start))
    return pl.DataFrame(out, schema=RISK_SCHEMA, orient="row")


INSPECTION_SCHEMA = {"kind": pl.String, "planned": pl.Int64, "done": pl.Int64,
                     "on_time": pl.Int64, "missed": pl.Int64, "rate": pl.Float64}  # fmt: skip


def inspections(
    con: Connection,
    actor: Actor,
    period: Period,
    today: date,
    *,
    zone: str = ZONE,
    enterprise_id: int | None = None,
) -> pl.DataFrame:
    """Inspection tasks due in the month by plan type: planned (not cancelled), done, done by
    the due day, missed (overdue, or still open past the due day) and the completion rate."""
    s = InspectionTaskState
    done = f"t.state = '{s.DONE.name}'"
    missed = (
        f"t.state = '{s.OVERDUE.name}' OR (t.state IN ({enum_names(s.PENDING, s.IN_PROGRESS)}) "
        f"AND t.due_date < DATE '{today}')"
    )
    found = con.sql(
        f"SELECT p.plan_type, count(*) FILTER (t.state <> '{s.CANCELLED.name}'), "
        f"count(*) FILTER ({done}), "
        f"count(*) FILTER ({done} AND {local_day_sql('t.done_at', zone)} <= t.due_date), "
        f"count(*) FILTER ({missed}) "
        f"FROM {rows('inspection_task', actor, enterprise_id)} t "
        f"LEFT JOIN {scoped('inspection_plan', actor)} p ON p.id = t.plan_id "
        f"WHERE t.due_date BETWEEN DATE '{period.start}' AND DATE '{period.end}' GROUP BY 1"
    ).fetchall()
    by_kind: dict[str, list[int]] = {}
    for name, *counts in found:
        kind = _value(InspectionPlanType, name) or UNPLANNED
        by_kind[kind] = [a + b for a, b in zip(by_kind.get(kind, [0] * 4), counts, strict=True)]
    out = []
    for kind in INSPECTION_KINDS:
        planned, n_done, on_time, n_missed = by_kind.get(kind, (0, 0, 0, 0))
        out.append((kind, planned, n_done, on_time, n_missed, _pct(n_done, planned)))
    return pl.DataFrame(out, schema=INSPECTION_SCHEMA, orient="row")


HAZARD_SCHEMA = {"level": pl.String, "found": pl.Int64, "closed": pl.Int64,
                 "closed_in_month": pl.Int64, "overdue": pl.Int64, "rate": pl.Float64}  # fmt: skip


def hazard_levels(
    con: Connection,
    actor: Actor,
    period: Period,
    today: date,
    *,
    zone: str = ZONE,
    enterprise_id: int | None = None,
) -> pl.DataFrame:
    """One row per hazard level (general, major): found in the month, of those closed, closed
    in the month whenever found, overdue on the snapshot day, and the closure rate."""
    closed = f"r.state = '{HazardState.CLOSED.name}'"
    found = con.sql(
        f"SELECT r.level, "
        f"count(*) FILTER ({during('r.found_at', period, zone)} "
        f"AND r.state NOT IN ({enum_names(*EXCLUDED)})), "
        f"count(*) FILTER ({during('r.found_at', period, zone)} AND {closed}), "
        f"count(*) FILTER ({closed} AND {during('r.closed_at', period, zone)}), "
        f"count(*) FILTER ({overdue_sql(period.snapshot_day(today), today, zone)}) "
        f"FROM {rows('hazard', actor, enterprise_id)} r GROUP BY 1"
    ).fetchall()
    by_level = {name: counts for name, *counts in found}
    out = []
    for level in HazardLevel:
        n_found, n_closed, in_month, n_overdue = by_level.get(level.name, (0, 0, 0, 0))
        out.append((level.value, n_found, n_closed, in_month, n_overdue, _pct(n_closed, n_found)))
    return pl.DataFrame(out, schema=HAZARD_SCHEMA, orient="row")


MAJOR_SCHEMA = {"number": pl.String, "title": pl.String, "area": pl.String,
                "found_on": pl.Date, "deadline": pl.Date, "state": pl.String,
                "owner": pl.String, "overdue": pl.Boolean}  # fmt: skip


def major_hazards(
    con: Connection,
    actor: Actor,
    period: Period,
    today: date,
    *,
    zone: str = ZONE,
    enterprise_id: int | None = None,
) -> pl.DataFrame:
    """Major hazards found in the month, and earlier ones still open: number, title, area,
    local day found, deadline, state, owner, overdue (on the snapshot day)."""
    hi = utc_instant(period.end + timedelta(days=1), zone)
    found = con.sql(
        f"SELECT r.number, r.title, a.name, {local_day_sql('r.found_at', zone)}, r.deadline, "
        f"r.state, pe.name, {overdue_sql(period.snapshot_day(today), today, zone)} "
        f"FROM {rows('hazard', actor, enterprise_id)} r "
        f"LEFT JOIN {scoped('area', actor)} a ON a.id = r.area_id "
        f"LEFT JOIN {scoped('person', actor)} pe ON pe.id = r.owner_id "
        f"WHERE r.level = '{HazardLevel.MAJOR.name}' AND r.state NOT IN ({enum_names(*EXCLUDED)}) "
        f"AND {as_ts('r.found_at')} < {hi} "
        f"AND ({during('r.found_at', period, zone)} OR r.state IN ({enum_names(*OPEN_STATES)})) "
        "ORDER BY r.found_at, r.id"
    ).fetchall()
    out = [(*row[:5], _value(HazardState, row[5]), row[6], bool(row[7])) for row in found]
    return pl.DataFrame(out, schema=MAJOR_SCHEMA, orient="row")


# --- the annual accident statistics -----------------------------------------------------------

ACCIDENT_SCHEMA = {"month": pl.Int64, "type": pl.String, "grade": pl.String,
                   "incidents": pl.Int64, "deaths": pl.Int64, "serious_injuries": pl.Int64,
                   "minor_injuries": pl.Int64, "direct_loss": pl.Float64}  # fmt: skip
MEASURES = ("incidents", "deaths", "serious_injuries", "minor_injuries", "direct_loss")


def accidents(
    con: Connection,
    actor: Actor,
    year: int,
    *,
    zone: str = ZONE,
    enterprise_id: int | None = None,
    lang: str = "zh-CN",
) -> pl.DataFrame:
    """Accidents and minor-injury events of the year (near misses left out, as the cockpit
    counts them) by local month, GB 6441 type and grade, with their casualties and direct
    loss; type and grade are named in ``lang`` (None where the incident has none)."""
    name = "name_en" if lang == "en" else "name"
    month = f"month(timezone('{zone}', timezone('UTC', {as_ts('i.occurred_at')})))"
    sql = (
        f"SELECT {month} AS m, ty.{name}, g.{name}, count(*), sum(i.deaths), "
        "sum(i.serious_injuries), sum(i.minor_injuries), sum(i.direct_loss) "
        f"FROM {rows('incident', actor, enterprise_id)} i "
        f"LEFT JOIN {scoped('accident_type', actor)} ty ON ty.id = i.accident_type_id "
        f"LEFT JOIN {scoped('accident_grade', actor)} g ON g.id = i.grade_id "
        f"WHERE {during('i.occurred_at', year_period(year), zone)} "
        f"AND i.kind <> '{IncidentKind.NEAR_MISS.name}' "
        f"GROUP BY m, ty.code, ty.{name}, g.rank, g.{name} "
        "ORDER BY m, ty.code NULLS LAST, g.rank DESC NULLS LAST"
    )
    return _frame(con, sql, ACCIDENT_SCHEMA)


def accident_matrix(detail: pl.DataFrame, unknown: str) -> pl.DataFrame:
    """The statutory table: one row per month (1–12, then none), incidents per accident type as
    columns (``unknown`` for incidents without a type), then casualties and loss."""
    months = pl.DataFrame({"month": list(range(1, 13))}, schema={"month": pl.Int64})
    frame = detail.with_columns(pl.col("type").fill_null(unknown))
    totals = frame.group_by("month").agg(pl.col(m).sum() for m in MEASURES)
    out = months.join(totals, on="month", how="left")
    if frame.height:
        types = frame.group_by("month", "type").agg(pl.col("incidents").sum())
        order = list(dict.fromkeys(frame["type"].to_list()))
        wide = types.pivot("type", index="month", values="incidents")
        out = out.join(wide.select("month", *order), on="month", how="left")
        out = out.select("month", *order, *MEASURES)
    return out.fill_null(0)


# --- the training register --------------------------------------------------------------------

TRAINING_SCHEMA = {"person": pl.String, "department": pl.String, "course": pl.String,
                   "hours": pl.Float64, "trained_on": pl.Date, "score": pl.Float64,
                   "result": pl.String}  # fmt: skip


def training_register(
    con: Connection,
    actor: Actor,
    period: Period,
    *,
    enterprise_id: int | None = None,
) -> pl.DataFrame:
    """Every training attendance in the period, by day, department and person: person,
    department, course, hours, day, exam score and result."""
    found = con.sql(
        "SELECT pe.name, d.name, c.name, r.hours, r.trained_on, r.score, r.result "
        f"FROM {rows('training_record', actor, enterprise_id)} r "
        f"LEFT JOIN {scoped('person', actor)} pe ON pe.id = r.person_id "
        f"LEFT JOIN {scoped('department', actor)} d ON d.id = r.department_id "
        f"LEFT JOIN {scoped('training_course', actor)} c ON c.id = r.course_id "
        f"WHERE r.trained_on BETWEEN DATE '{period.start}' AND DATE '{period.end}' "
        "ORDER BY r.trained_on, d.name, pe.name, r.id"
    ).fetchall()
    out = [(*row[:6], _value(TrainingResult, row[6])) for row in found]
    return pl.DataFrame(out, schema=TRAINING_SCHEMA, orient="row")


def enterprise_names(con: Connection, actor: Actor, enterprise_id: int | None = None) -> list[str]:
    """The enterprises a report covers: the one picked, else every one in the actor's scope."""
    where = f" WHERE e.id = {int(enterprise_id)}" if enterprise_id else ""
    sql = f"SELECT e.name FROM {scoped('enterprise', actor)} e{where} ORDER BY e.id"
    return [name for (name,) in con.sql(sql).fetchall()]


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None
