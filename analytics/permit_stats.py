"""Permit statistics (作业票统计): today's work by type and by unit, the monthly trend by type,
three-month totals by unit with the location check, and the combined search.

Every figure is grouped in the database over the actor's scoped permits (``visible``); only
the location check reads positions, because point-in-polygon is not SQL: it reads one row per
distinct (unit, area, x, y) of the period, never whole permits. Days and months are the
site's local calendar (``core.local_time``).

What counts as work (``COUNTED``): every permit except drafts (never submitted), rejected and
cancelled ones. "Today" is a permit whose planned window overlaps the local day and that was
not already finished before it began. The unit (申请单位) is the permit's department.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.i18n import t
from core.local_time import local_month, utc_midnight
from core.permit.location import LocationCheck, location_check
from core.permit.rules import aware
from core.rbac import Actor
from models.accounts import User
from models.org import Area, Department, Enterprise
from models.permit import Permit, PermitState
from models.permit_reference import PermitGrade, PermitType, PermitTypeCode

NOT_COUNTED = (PermitState.DRAFT, PermitState.REJECTED, PermitState.CANCELLED)
TYPE_ORDER = {code.value: i for i, code in enumerate(PermitTypeCode)}
TREND_MONTHS = 12
UNIT_MONTHS = 3
PAGE_SIZE = 25


def _scoped(actor: Actor, *columns: Any, counted: bool = True) -> Any:
    stmt = visible(get_spec("permit"), actor).with_only_columns(*columns)
    return stmt.where(col(Permit.state).not_in(NOT_COUNTED)) if counted else stmt


def month_start(day: date, back: int = 0) -> date:
    """First day of the month ``back`` months before ``day``'s month."""
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def months_back(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to that month's end (05-31 → 02-28)."""
    first = month_start(day, months)
    last = (month_start(day, months - 1) - timedelta(days=1)).day
    return first.replace(day=min(day.day, last))


def unit_period_start(today: date, months: int = UNIT_MONTHS) -> date:
    """First local day of the unit summary: 03-16 for 06-15, three months with today."""
    return months_back(today, months) + timedelta(days=1)


def type_names(session: Session, lang: str) -> dict[int, tuple[str, str]]:
    """id → (code, name in ``lang``) of every permit type, deleted ones too (old permits)."""
    rows = session.execute(
        select(PermitType.id, PermitType.code, PermitType.name, PermitType.name_en)
    )
    return {i: (c, en if lang == "en" and en else n) for i, c, n, en in rows}


def unit_labels(session: Session, ids: set[int]) -> dict[int, str]:
    """Department names, with the enterprise added where two share a name (生产部 in every
    plant)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Department.id, Department.name, Department.enterprise_id).where(
            col(Department.id).in_(sorted(ids))
        )
    ).all()
    enterprises = titles(session, "enterprise", {e for _, _, e in rows if e})
    names = [n for _, n, _ in rows]
    return {i: f"{n}（{enterprises.get(e, '')}）" if names.count(n) > 1 else n for i, n, e in rows}


def _pairs(session: Session, key: Any, value: Any, ids: set[Any]) -> dict[Any, Any]:
    """``{key: value}`` of the rows whose key is in ``ids`` (None ignored)."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    return {k: v for k, v in session.execute(select(key, value).where(col(key).in_(wanted))).all()}


def _today_clause(today: date, zone: str) -> Any:
    begin, end = utc_midnight(today, zone), utc_midnight(today + timedelta(days=1), zone)
    finished = func.coalesce(Permit.completed_at, Permit.closed_at)
    return (
        (col(Permit.planned_start) < end)
        & (col(Permit.planned_end) >= begin)
        & or_(finished.is_(None), finished >= begin)
    )


def today_by_type(
    session: Session, actor: Actor, today: date, zone: str, lang: str
) -> pl.DataFrame:
    """Work today per type, every type shown (zero too), busiest first."""
    n = func.count().label("n")
    stmt = _scoped(actor, Permit.permit_type_id, n).where(_today_clause(today, zone))
    counts = dict(session.execute(stmt.group_by(Permit.permit_type_id)).all())
    live = set(session.scalars(select(PermitType.id).where(col(PermitType.deleted_at).is_(None))))
    names = type_names(session, lang)
    rows = [
        (code, name, int(counts.get(i, 0)))
        for i, (code, name) in names.items()
        if i in live or i in counts
    ]
    frame = pl.DataFrame(
        rows, schema={"code": pl.String, "type": pl.String, "count": pl.Int64}, orient="row"
    )
    order = pl.col("code").replace_strict(TYPE_ORDER, default=99, return_dtype=pl.Int64)
    return frame.sort([pl.col("count"), order], descending=[True, False])


def today_by_unit(
    session: Session, actor: Actor, today: date, zone: str, lang: str
) -> pl.DataFrame:
    """Permits applied for today's work per unit (department), most first."""
    n = func.count().label("n")
    stmt = _scoped(actor, Permit.department_id, n).where(_today_clause(today, zone))
    counts = session.execute(stmt.group_by(Permit.department_id)).all()
    labels = unit_labels(session, {d for d, _ in counts if d is not None})
    none = t("permit_stats.no_unit", lang)
    rows = [(labels.get(d, none) if d is not None else none, int(c)) for d, c in counts]
    frame = pl.DataFrame(rows, schema={"unit": pl.String, "count": pl.Int64}, orient="row")
    return (
        frame.group_by("unit")
        .agg(pl.col("count").sum())
        .sort(["count", "unit"], descending=[True, False])
    )


def today_states(session: Session, actor: Actor, today: date, zone: str) -> dict[str, int]:
    """Today's work per state (the headline numbers)."""
    n = func.count().label("n")
    stmt = _scoped(actor, Permit.state, n).where(_today_clause(today, zone))
    return {str(s): int(c) for s, c in session.execute(stmt.group_by(Permit.state)).all()}


def monthly_trend(
    session: Session, actor: Actor, today: date, zone: str, lang: str, months: int = TREND_MONTHS
) -> pl.DataFrame:
    """Long frame (month, code, type, count) by planned start, the last ``months`` calendar
    months with this one; every month of the period for every type that occurs."""
    first, after = month_start(today, months - 1), month_start(today, -1)
    month = local_month(session, Permit.planned_start, zone).label("month")
    n = func.count().label("n")
    stmt = _scoped(actor, month, Permit.permit_type_id, n).where(
        col(Permit.planned_start) >= utc_midnight(first, zone),
        col(Permit.planned_start) < utc_midnight(after, zone),
    )
    rows = session.execute(stmt.group_by(month, Permit.permit_type_id)).all()
    names = type_names(session, lang)
    found = pl.DataFrame(
        [(str(m), *names.get(i, ("?", f"#{i}")), int(c)) for m, i, c in rows],
        schema={"month": pl.String, "code": pl.String, "type": pl.String, "count": pl.Int64},
        orient="row",
    )
    all_months = pl.DataFrame(
        {
            "month": [
                month_start(today, back).strftime("%Y-%m") for back in range(months - 1, -1, -1)
            ]
        }
    )
    kinds = found.select("code", "type").unique()
    grid = all_months.join(kinds, how="cross")
    order = pl.col("code").replace_strict(TYPE_ORDER, default=99, return_dtype=pl.Int64)
    return (
        grid.join(found, on=["month", "code", "type"], how="left")
        .fill_null(0)
        .sort([pl.col("month"), order])
    )


def unit_locations(
    session: Session, actor: Actor, today: date, zone: str, lang: str, months: int = UNIT_MONTHS
) -> pl.DataFrame:
    """Per unit over the last ``months`` months (by planned start, today included): permits,
    and how many were recorded inside their declared area (ok), outside it, or can't be told
    (no position or no outline). Largest unit first."""
    start = unit_period_start(today, months)
    n = func.count().label("n")
    stmt = _scoped(actor, Permit.department_id, Permit.area_id, Permit.x, Permit.y, n).where(
        col(Permit.planned_start) >= utc_midnight(start, zone),
        col(Permit.planned_start) < utc_midnight(today + timedelta(days=1), zone),
    )
    stmt = stmt.group_by(Permit.department_id, Permit.area_id, Permit.x, Permit.y)
    rows = session.execute(stmt).all()
    areas = {r.area_id for r in rows if r.area_id is not None}
    polygons = _pairs(session, Area.id, Area.polygon, areas)
    tally: dict[int | None, dict[str, int]] = {}
    for dept, area, x, y, c in rows:
        check = location_check(polygons.get(area), x, y)
        counts = tally.setdefault(dept, {k.value: 0 for k in LocationCheck})
        counts[check.value] += int(c)
    labels = unit_labels(session, {d for d in tally if d is not None})
    none = t("permit_stats.no_unit", lang)
    schema = {
        "unit": pl.String,
        "total": pl.Int64,
        "ok": pl.Int64,
        "outside": pl.Int64,
        "unknown": pl.Int64,
    }
    frame = pl.DataFrame(
        [
            (
                labels.get(d, none) if d is not None else none,
                sum(v.values()),
                v["ok"],
                v["outside"],
                v["unknown"],
            )
            for d, v in tally.items()
        ],
        schema=schema,
        orient="row",
    )
    return (
        frame.group_by("unit")
        .agg(pl.all().sum())
        .select(list(schema))
        .sort(["total", "unit"], descending=[True, False])
    )


# --- combined search (综合查询) ----------------------------------------------------------------


@dataclass(frozen=True)
class PermitSearch:
    """The search form; empty fields do not filter. ``start_from``/``start_to`` are local days
    (inclusive) of the planned start; ``area_level`` is the area's risk level (重大 = red)."""

    type_id: int | None = None
    number: str = ""
    area_level: str | None = None
    area_id: int | None = None
    applicant: str = ""
    department_id: int | None = None
    start_from: date | None = None
    start_to: date | None = None
    states: tuple[str, ...] = field(default_factory=tuple)
    zone: str = "Asia/Shanghai"

    def as_audit(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k)}


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(actor: Actor, s: PermitSearch, *columns: Any) -> Any:
    """The search's SELECT of ``columns`` (all states, drafts included: it is a register)."""
    stmt = _scoped(actor, *columns, counted=False)
    if s.type_id is not None:
        stmt = stmt.where(Permit.permit_type_id == s.type_id)
    if s.number.strip():
        stmt = stmt.where(col(Permit.number).ilike(_like(s.number), escape="\\"))
    if s.area_id is not None:
        stmt = stmt.where(Permit.area_id == s.area_id)
    if s.area_level:
        level_areas = select(Area.id).where(Area.risk_level == s.area_level)
        stmt = stmt.where(col(Permit.area_id).in_(level_areas))
    if s.applicant.strip():
        pattern = _like(s.applicant)
        people = select(User.id).where(
            or_(
                col(User.display_name).ilike(pattern, escape="\\"),
                col(User.username).ilike(pattern, escape="\\"),
            )
        )
        stmt = stmt.where(col(Permit.applicant_id).in_(people))
    if s.department_id is not None:
        stmt = stmt.where(Permit.department_id == s.department_id)
    if s.start_from is not None:
        stmt = stmt.where(col(Permit.planned_start) >= utc_midnight(s.start_from, s.zone))
    if s.start_to is not None:
        end = utc_midnight(s.start_to + timedelta(days=1), s.zone)
        stmt = stmt.where(col(Permit.planned_start) < end)
    if s.states:
        stmt = stmt.where(col(Permit.state).in_(list(s.states)))
    return stmt


RESULT_COLUMNS = (
    Permit.id,
    Permit.number,
    Permit.permit_type_id,
    Permit.grade_id,
    Permit.state,
    Permit.enterprise_id,
    Permit.department_id,
    Permit.area_id,
    Permit.location,
    Permit.x,
    Permit.y,
    Permit.applicant_id,
    Permit.planned_start,
    Permit.planned_end,
    Permit.content,
)
RESULT_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "number": pl.String,
    "type": pl.String,
    "grade": pl.String,
    "state": pl.String,
    "enterprise": pl.String,
    "unit": pl.String,
    "area": pl.String,
    "area_level": pl.String,
    "location": pl.String,
    "applicant": pl.String,
    "planned_start": pl.Datetime,
    "planned_end": pl.Datetime,
    "location_check": pl.String,
    "content": pl.String,
}
ORDER = (col(Permit.planned_start).desc(), col(Permit.id).desc())


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Naive local time: what a sheet or a table shows."""
    return aware(moment).astimezone(zone).replace(tzinfo=None) if moment else None


def result_frame(session: Session, rows: list[Any], lang: str, zone: str) -> pl.DataFrame:
    """Display-ready rows (names instead of ids, local times, the location check)."""
    types = type_names(session, lang)
    grade_ids = {r.grade_id for r in rows if r.grade_id}
    grades = {
        i: (en if lang == "en" and en else n)
        for i, n, en in session.execute(
            select(PermitGrade.id, PermitGrade.name, PermitGrade.name_en).where(
                col(PermitGrade.id).in_(sorted(grade_ids))
            )
        )
    }
    area_ids = sorted({r.area_id for r in rows if r.area_id})
    areas = {
        i: (n, str(level), poly)
        for i, n, level, poly in session.execute(
            select(Area.id, Area.name, Area.risk_level, Area.polygon).where(
                col(Area.id).in_(area_ids)
            )
        )
    }
    users = _pairs(session, User.id, User.display_name, {r.applicant_id for r in rows})
    units = unit_labels(session, {r.department_id for r in rows if r.department_id})
    enterprises = _pairs(session, Enterprise.id, Enterprise.name, {r.enterprise_id for r in rows})
    tz = ZoneInfo(zone)
    out = []
    for r in rows:
        name, level, polygon = areas.get(r.area_id, ("", "", None))
        out.append(
            {
                "id": r.id,
                "number": r.number or "",
                "type": types.get(r.permit_type_id, ("", ""))[1],
                "grade": grades.get(r.grade_id, ""),
                "state": t(f"enum.PermitState.{r.state}", lang),
                "enterprise": enterprises.get(r.enterprise_id, ""),
                "unit": units.get(r.department_id, ""),
                "area": name,
                "area_level": t(f"enum.RiskLevel.{level}", lang) if level else "",
                "location": r.location or "",
                "applicant": users.get(r.applicant_id, ""),
                "planned_start": _local(r.planned_start, tz),
                "planned_end": _local(r.planned_end, tz),
                "location_check": t(
                    f"permit_stats.check.{location_check(polygon, r.x, r.y).value}", lang
                ),
                "content": r.content or "",
            }
        )
    return pl.DataFrame(out, schema=RESULT_SCHEMA)


def search(
    session: Session,
    actor: Actor,
    s: PermitSearch,
    lang: str,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> tuple[pl.DataFrame, int]:
    """One page of matching permits (latest planned start first) and how many match."""
    total = session.execute(filtered(actor, s, func.count())).scalar() or 0
    page = max(1, page)
    stmt = filtered(actor, s, *RESULT_COLUMNS).order_by(*ORDER)
    rows = session.execute(stmt.offset((page - 1) * page_size).limit(page_size)).all()
    return result_frame(session, list(rows), lang, s.zone), int(total)


def search_all(
    session: Session, actor: Actor, s: PermitSearch, lang: str, limit: int, batch: int = 2000
) -> tuple[pl.DataFrame, int]:
    """Up to ``limit`` matching permits for an export, read ``batch`` rows at a time."""
    total = int(session.execute(filtered(actor, s, func.count())).scalar() or 0)
    stmt = filtered(actor, s, *RESULT_COLUMNS).order_by(*ORDER).limit(limit)
    frames, chunk = [], []
    for row in session.execute(stmt.execution_options(yield_per=batch)):
        chunk.append(row)
        if len(chunk) == batch:
            frames.append(result_frame(session, chunk, lang, s.zone))
            chunk = []
    frames.append(result_frame(session, chunk, lang, s.zone))
    return pl.concat(frames), total
