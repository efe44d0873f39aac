"""The safety cockpit (安全驾驶舱): one row per KPI for a period and the period before it.

Every figure is aggregated in DuckDB over the actor's scoped rows (``analytics.duck.scoped``),
optionally narrowed to one enterprise; Polars only assembles the result. Days are the site's
local calendar (``Settings.timezone``), as in ``analytics.hazard_stats`` and
``analytics.trends``, whose hazard definitions are reused here so the cockpit and the hazard
analysis page agree.

A KPI is either a *flow* over the period (hazards found in it, incidents in it …) or a
*snapshot* on a day (overdue hazards, expiring certificates …). A snapshot is taken today when
the period reaches today, else the day after the period ends; its previous value is taken on the
first day of the period (the day after the previous period ends) where the history is in the
rows, and is left empty where it is not (risk levels, permit states and stock are not kept per
day).

Example:
    >>> con = connect(get_settings().db_url)  # doctest: +SKIP
    >>> month = Period.preset("month", today)
    >>> cockpit(con, actor, month, today, zone="Asia/Shanghai")  # doctest: +SKIP
    shape: (17, 7) ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, NamedTuple

import polars as pl

from analytics.duck import (
    Connection,
    as_ts,
    condition,
    enum_names,
    local_day_sql,
    scoped,
    utc_instant,
)
from core.db import utcnow
from core.emergency import rules as emergency
from core.hazard.overdue import overdue_as_of
from core.local_time import utc_midnight
from core.org.reminders import EXPIRY_WARNING_DAYS
from core.permit.in_force import in_force_clause, overdue_to_close_clause
from core.rbac import Actor
from models.emergency import EmergencyPlanKind, EmergencyPlanState
from models.emergency_drill import DrillState
from models.emergency_supply import EmergencySupply
from models.enums import PersonStatus, RiskLevel
from models.hazard import Hazard, HazardState
from models.incident import IncidentKind
from models.permit import Permit
from models.training import TrainingResult
from models.video import ViolationState

Unit = Literal["pct", "count", "days", "per_day"]
Direction = Literal["up", "down", "none"]  # which way is better
Preset = Literal["month", "quarter", "year"]
PRESETS: tuple[Preset, ...] = ("month", "quarter", "year")
SCHEMA = {
    "key": pl.String,
    "value": pl.Float64,
    "previous": pl.Float64,
    "unit": pl.String,
    "direction": pl.String,
    "part": pl.Int64,
    "whole": pl.Int64,
}


@dataclass(frozen=True)
class Period:
    """Local days ``start``…``end`` (inclusive); ``previous`` is the equally long span just
    before it."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    @classmethod
    def preset(cls, kind: Preset, today: date) -> Period:
        """This month, quarter or year up to ``today``."""
        if kind == "month":
            return cls(today.replace(day=1), today)
        if kind == "quarter":
            return cls(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
        return cls(date(today.year, 1, 1), today)

    def snapshot_day(self, today: date) -> date:
        """The day a snapshot KPI is taken for this period."""
        return today if self.end >= today else self.end + timedelta(days=1)


class Figure(NamedTuple):
    value: float | None
    part: int | None = None
    whole: int | None = None


@dataclass(frozen=True)
class Ctx:
    """What every KPI function needs besides the period or day."""

    con: Connection
    actor: Actor
    zone: str
    enterprise_id: int | None
    today: date
    copied: frozenset[str] = frozenset()  # tables held as scoped in-memory copies

    def rows(self, table: str) -> str:
        """The table's scoped rows as ``r``, narrowed to the enterprise when one is picked."""
        where = f" WHERE enterprise_id = {int(self.enterprise_id)}" if self.enterprise_id else ""
        source = f"temp.main.kpi_{table}" if table in self.copied else scoped(table, self.actor)
        return f"(SELECT * FROM {source} s{where}) r"

    def one(self, sql: str) -> tuple:
        found = self.con.sql(sql).fetchone()
        return found if found is not None else ()


#: The hazard columns the KPIs read: the cockpit copies only these, once per call.
HAZARD_COLUMNS = "enterprise_id, found_at, closed_at, rectified_at, deadline, state, deleted_at"
#: The hazard table as the analytical queries alias it, for the domain rules compiled to SQL.
HAZARD_ROWS = Hazard.__table__.alias("r")
PERMIT_ROWS = Permit.__table__.alias("r")


def copy_hazards(con: Connection, actor: Actor) -> frozenset[str]:
    """One narrow in-memory copy of the actor's hazard register for a cockpit call: its
    figures and their previous periods then read memory instead of scanning the database
    about ten times (docs/benchmarks.md, "Cockpit and trend panels")."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE kpi_hazard AS "
        f"SELECT {HAZARD_COLUMNS} FROM {scoped('hazard', actor)}"
    )
    return frozenset({"hazard"})


def during(column: str, p: Period, zone: str) -> str:
    """A UTC timestamp column inside the period's local days."""
    lo, hi = utc_instant(p.start, zone), utc_instant(p.end + timedelta(days=1), zone)
    return f"{as_ts(column)} >= {lo} AND {as_ts(column)} < {hi}"


def _dates(column: str, p: Period) -> str:
    return f"{column} BETWEEN DATE '{p.start}' AND DATE '{p.end}'"


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


def _int(value: object) -> int:
    return int(value or 0)  # type: ignore[call-overload]


# --- hazards (definitions of analytics.hazard_stats) -------------------------------------------


def closure_rate(c: Ctx, p: Period) -> Figure:
    """整改率: hazards found in the period (``found_at``) that are closed, over those found
    less the rejected and voided ones (a rejected report was never a hazard)."""
    excluded = enum_names(HazardState.REJECTED, HazardState.VOIDED)
    closed, counted = c.one(
        f"SELECT count(*) FILTER (r.state = '{HazardState.CLOSED.name}'), "
        f"count(*) FILTER (r.state NOT IN ({excluded})) "
        f"FROM {c.rows('hazard')} WHERE {during('r.found_at', p, c.zone)}"
    )
    return Figure(_pct(_int(closed), _int(counted)), _int(closed), _int(counted))


def on_time_rate(c: Ctx, p: Period) -> Figure:
    """按期整改率: closed hazards found in the period whose local closing day is on or before
    the deadline, over the closed ones that have a deadline."""
    dated = (
        f"r.state = '{HazardState.CLOSED.name}' AND r.deadline IS NOT NULL "
        "AND r.closed_at IS NOT NULL"
    )
    on_time, with_deadline = c.one(
        f"SELECT count(*) FILTER ({local_day_sql('r.closed_at', c.zone)} <= r.deadline), count(*) "
        f"FROM {c.rows('hazard')} WHERE {during('r.found_at', p, c.zone)} AND {dated}"
    )
    return Figure(_pct(_int(on_time), _int(with_deadline)), _int(on_time), _int(with_deadline))


def rectification_days(c: Ctx, p: Period) -> Figure:
    """平均整改时长: mean days from ``found_at`` to ``rectified_at`` (else ``closed_at``) over
    the closed hazards found in the period."""
    finish = f"coalesce({as_ts('r.rectified_at')}, {as_ts('r.closed_at')})"
    (avg,) = c.one(
        f"SELECT avg(epoch({finish}) - epoch({as_ts('r.found_at')})) / 86400.0 "
        f"FROM {c.rows('hazard')} WHERE {during('r.found_at', p, c.zone)} "
        f"AND r.state = '{HazardState.CLOSED.name}'"
    )
    return Figure(round(float(avg), 1) if avg is not None else None)


def overdue_sql(day: date, today: date, zone: str) -> str:
    """``core.hazard.overdue`` on ``day`` (its current rule today, its historical one before)
    as DuckDB SQL over the hazard rows ``r``."""
    return condition(overdue_as_of(day, today, utc_midnight(day, zone), HAZARD_ROWS))


def overdue(c: Ctx, day: date) -> Figure:
    """逾期隐患 on ``day`` (``core.hazard.overdue``): past the deadline and still waiting for
    rectification or verification; on an earlier day, a hazard closed since then counts too."""
    (n,) = c.one(
        f"SELECT count(*) FROM {c.rows('hazard')} WHERE {overdue_sql(day, c.today, c.zone)}"
    )
    return Figure(_int(n))


# --- risk and permits (current state only) ----------------------------------------------------


def risk_points(level: RiskLevel) -> Callable[[Ctx, date], Figure]:
    def count(c: Ctx, day: date) -> Figure:
        (n,) = c.one(
            f"SELECT count(*) FROM {c.rows('risk_point')} WHERE r.current_level = '{level.name}'"
        )
        return Figure(_int(n))

    count.__doc__ = f"Risk points whose current (dynamic) level is {level.value}, today."
    return count


def _permits(rule: Callable[..., Any], doc: str) -> Callable[[Ctx, date], Figure]:
    """A count of the permits a ``core.permit.in_force`` rule picks out, now."""

    def count(c: Ctx, day: date) -> Figure:
        where = condition(rule(utcnow(), PERMIT_ROWS))
        (n,) = c.one(f"SELECT count(*) FROM {c.rows('permit')} WHERE {where}")
        return Figure(_int(n))

    count.__doc__ = doc
    return count


active_permits = _permits(
    in_force_clause,
    "在用作业票: permits that authorise work now (approved, under way or paused, and before "
    "their planned end).",
)
permits_overdue_to_close = _permits(
    overdue_to_close_clause,
    "超期未关闭: permits past their planned end, never completed and closed.",
)


# --- incidents and violations -----------------------------------------------------------------


def incidents(c: Ctx, p: Period) -> Figure:
    """事故: accidents and minor-injury events that occurred in the period."""
    (n,) = c.one(
        f"SELECT count(*) FROM {c.rows('incident')} WHERE {during('r.occurred_at', p, c.zone)} "
        f"AND r.kind <> '{IncidentKind.NEAR_MISS.name}'"
    )
    return Figure(_int(n))


def near_misses(c: Ctx, p: Period) -> Figure:
    """未遂事件: near misses that occurred in the period."""
    (n,) = c.one(
        f"SELECT count(*) FROM {c.rows('incident')} WHERE {during('r.occurred_at', p, c.zone)} "
        f"AND r.kind = '{IncidentKind.NEAR_MISS.name}'"
    )
    return Figure(_int(n))


def violation_rate(c: Ctx, p: Period) -> Figure:
    """违章率: video violations in the period not dismissed as false alarms, per day."""
    (n,) = c.one(
        f"SELECT count(*) FROM {c.rows('video_violation')} "
        f"WHERE {during('r.occurred_at', p, c.zone)} "
        f"AND r.state <> '{ViolationState.FALSE_ALARM.name}'"
    )
    return Figure(round(_int(n) / p.days, 2), _int(n), p.days)


# --- training ---------------------------------------------------------------------------------


def training_coverage(c: Ctx, p: Period) -> Figure:
    """培训覆盖率: active people (hired by the period's end or hire date unknown) with a
    passed training record in the period, over those people."""
    people = (
        f"SELECT r.id FROM {c.rows('person')} WHERE r.status = '{PersonStatus.ACTIVE.name}' "
        f"AND (r.hired_on IS NULL OR r.hired_on <= DATE '{p.end}')"
    )
    trained = (
        f"SELECT DISTINCT r.person_id FROM {c.rows('training_record')} "
        f"WHERE {_dates('r.trained_on', p)} AND r.result = '{TrainingResult.PASSED.name}'"
    )
    done, whole = c.one(
        f"SELECT count(t.person_id), count(*) FROM ({people}) pe "
        f"LEFT JOIN ({trained}) t ON t.person_id = pe.id"
    )
    return Figure(_pct(_int(done), _int(whole)), _int(done), _int(whole))


def first_pass_rate(c: Ctx, p: Period) -> Figure:
    """考试一次通过率: first attempts started in the period and submitted that passed, over
    those first attempts."""
    passed, whole = c.one(
        "SELECT count(*) FILTER (CAST(r.passed AS BOOLEAN)), count(*) "
        f"FROM {c.rows('exam_record')} WHERE {during('r.started_at', p, c.zone)} "
        "AND r.attempt = 1 AND r.submitted_at IS NOT NULL"
    )
    return Figure(_pct(_int(passed), _int(whole)), _int(passed), _int(whole))


def expiring_certificates(c: Ctx, day: date) -> Figure:
    """证书到期预警: personnel certificates expiring from ``day`` to 30 days after it."""
    until = day + timedelta(days=EXPIRY_WARNING_DAYS)
    (n,) = c.one(
        f"SELECT count(*) FROM {c.rows('certificate')} "
        f"WHERE r.expires_on BETWEEN DATE '{day}' AND DATE '{until}'"
    )
    return Figure(_int(n))


# --- emergency --------------------------------------------------------------------------------


def supplies_attention(c: Ctx, day: date) -> Figure:
    """应急物资异常 (``core.emergency.rules.supplies_attention``): supplies expired before
    ``day`` or below their minimum stock."""
    attention = condition(emergency.supplies_attention(day, EmergencySupply.__table__.alias("r")))
    (n,) = c.one(f"SELECT count(*) FROM {c.rows('emergency_supply')} WHERE {attention}")
    return Figure(_int(n))


def drills_on_schedule(c: Ctx, day: date) -> Figure:
    """演练完成率: emergency plans in force (approved or published) on ``day`` whose last
    drill held before that day is within the statutory interval
    (``core.emergency.rules.DRILL_INTERVAL_DAYS``: yearly, on-site plans half-yearly), over
    those plans. Drills done versus drills required."""
    interval = " ".join(
        f"WHEN '{kind.name}' THEN {emergency.DRILL_INTERVAL_DAYS[kind]}"
        for kind in EmergencyPlanKind
    )
    in_force = ", ".join(f"'{EmergencyPlanState(s).name}'" for s in emergency.IN_FORCE)
    held = (
        f"SELECT r.plan_id, max(r.held_on) AS last FROM {c.rows('drill')} "
        f"WHERE r.held_on < DATE '{day}' AND r.state <> '{DrillState.CANCELLED.name}' "
        "GROUP BY r.plan_id"
    )
    done, whole = c.one(
        f"SELECT count(*) FILTER (d.last IS NOT NULL AND DATE '{day}' - d.last <= "
        f"CASE r.kind {interval} END), count(*) FROM {c.rows('emergency_plan')} "
        f"LEFT JOIN ({held}) d ON d.plan_id = r.id "
        f"WHERE r.state IN ({in_force}) "
        f"AND (r.effective_on IS NULL OR r.effective_on < DATE '{day}')"
    )
    return Figure(_pct(_int(done), _int(whole)), _int(done), _int(whole))


# --- the table of KPIs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    unit: Unit
    direction: Direction
    flow: Callable[[Ctx, Period], Figure] | None = None
    snapshot: Callable[[Ctx, date], Figure] | None = None
    history: bool = True  # a snapshot's earlier value can be read from the rows

    @property
    def label(self) -> str:
        return f"cockpit.kpi.{self.key}"


KPIS: tuple[Kpi, ...] = (
    Kpi("closure_rate", "pct", "up", flow=closure_rate),
    Kpi("on_time_rate", "pct", "up", flow=on_time_rate),
    Kpi("overdue", "count", "down", snapshot=overdue),
    Kpi("rectification_days", "days", "down", flow=rectification_days),
    *(
        Kpi(f"risk_{level.value}", "count", "down", snapshot=risk_points(level), history=False)
        for level in RiskLevel
    ),
    Kpi("active_permits", "count", "none", snapshot=active_permits, history=False),
    Kpi("permits_overdue_close", "count", "down", snapshot=permits_overdue_to_close, history=False),
    Kpi("incidents", "count", "down", flow=incidents),
    Kpi("near_misses", "count", "none", flow=near_misses),
    Kpi("violation_rate", "per_day", "down", flow=violation_rate),
    Kpi("training_coverage", "pct", "up", flow=training_coverage),
    Kpi("first_pass_rate", "pct", "up", flow=first_pass_rate),
    Kpi("expiring_certificates", "count", "down", snapshot=expiring_certificates),
    Kpi("supplies_attention", "count", "down", snapshot=supplies_attention, history=False),
    Kpi("drills_on_schedule", "pct", "up", snapshot=drills_on_schedule),
)
BY_KEY = {k.key: k for k in KPIS}


def cockpit(
    con: Connection,
    actor: Actor,
    period: Period,
    today: date,
    *,
    zone: str = "Asia/Shanghai",
    enterprise_id: int | None = None,
    keys: tuple[str, ...] | None = None,
    copied: frozenset[str] | None = None,
) -> pl.DataFrame:
    """One row per KPI (``KPIS`` order, or ``keys``): key, value, previous, unit, direction
    (which way is better) and, for rates, the part and whole behind this period's value.
    ``copied``: what :func:`copy_hazards` already copied on ``con`` for this actor (the page
    shares one copy between the tiles and the ranking); copied here otherwise."""
    copied = copy_hazards(con, actor) if copied is None else copied
    c = Ctx(con, actor, zone, enterprise_id, today, copied)
    rows = []
    for kpi in (BY_KEY[k] for k in keys) if keys else KPIS:
        if kpi.flow is not None:
            now, before = kpi.flow(c, period), kpi.flow(c, period.previous)
        else:
            assert kpi.snapshot is not None
            now = kpi.snapshot(c, period.snapshot_day(today))
            before = kpi.snapshot(c, period.start) if kpi.history else Figure(None)
        rows.append(
            {
                "key": kpi.key,
                "value": now.value,
                "previous": before.value,
                "unit": kpi.unit,
                "direction": kpi.direction,
                "part": now.part,
                "whole": now.whole,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA)
