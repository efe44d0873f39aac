"""Hazard analysis (隐患统计分析): trend, Pareto by category, area × month heat map, closure and
on-time rates, rectification time, the overdue list and repeat hazards.

Every figure is grouped in the database over the actor's scoped hazards (``visible``), so the
page reads a few hundred grouped rows whatever the register's size; Polars only reshapes them.
Days and months are the site's local calendar (``Settings.timezone``, see
``core.local_time``).

Definitions (the period filters on ``found_at``):

- closure rate = closed / (found − rejected − voided): a rejected report was never a hazard;
- on-time rate = closed on or before the deadline (local day of ``closed_at`` ≤ ``deadline``)
  / closed hazards that have a deadline;
- rectification time = days from ``found_at`` to ``rectified_at`` (else ``closed_at``), mean
  over closed hazards;
- repeat hazard = a hazard whose ``repeat_of_id`` is set (the reporter or the detector linked
  it to an earlier one); the rate is repeats / found;
- overdue = ``core.hazard.overdue.overdue_clause`` today, whatever the period (it is a to-do list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import polars as pl
from sqlalchemy import case, func, select
from sqlmodel import Session, col

from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.hazard.overdue import overdue_clause
from core.i18n import t
from core.local_time import days_between, local_day, local_month, utc_midnight
from core.rbac import Actor
from models.hazard import Hazard, HazardCategory, HazardState
from models.org import Area

Grain = Literal["week", "month"]
OVERDUE_SHOWN = 200


@dataclass(frozen=True)
class HazardQuery:
    """Which hazards: found between two local days (inclusive), optionally one enterprise or
    department, in ``zone``."""

    start: date
    end: date
    enterprise_id: int | None = None
    department_id: int | None = None
    zone: str = "Asia/Shanghai"


def default_start(today: date) -> date:
    """First day of the month eleven months back: twelve monthly buckets, this one included."""
    month = today.year * 12 + today.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1)


def _scoped(actor: Actor, q: HazardQuery, *columns: Any, period: bool = True) -> Any:
    stmt = visible(get_spec("hazard"), actor).with_only_columns(*columns)
    if period:
        stmt = stmt.where(
            col(Hazard.found_at) >= utc_midnight(q.start, q.zone),
            col(Hazard.found_at) < utc_midnight(q.end + timedelta(days=1), q.zone),
        )
    if q.enterprise_id is not None:
        stmt = stmt.where(Hazard.enterprise_id == q.enterprise_id)
    if q.department_id is not None:
        stmt = stmt.where(Hazard.department_id == q.department_id)
    return stmt


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def trend(session: Session, actor: Actor, q: HazardQuery, grain: Grain) -> pl.DataFrame:
    """Hazards found per week (starting Monday) or month, by level, every bucket present."""
    day = local_day(session, Hazard.found_at, q.zone).label("day")
    n = func.count().label("n")
    stmt = _scoped(actor, q, day, Hazard.level, n).group_by(day, Hazard.level)
    rows = [(_as_date(d), str(level), int(c)) for d, level, c in session.execute(stmt).all()]
    every = "1w" if grain == "week" else "1mo"
    first = pl.Series([q.start]).dt.truncate(every)[0]
    buckets = pl.DataFrame({"bucket": pl.date_range(first, q.end, every, eager=True)})
    schema = {"day": pl.Date, "level": pl.String, "n": pl.Int64}
    found = pl.DataFrame(rows, schema=schema, orient="row")
    wide = (
        found.with_columns(bucket=pl.col("day").dt.truncate(every))
        .group_by("bucket")
        .agg(
            general=pl.col("n").filter(pl.col("level") == "general").sum(),
            major=pl.col("n").filter(pl.col("level") == "major").sum(),
        )
    )
    return (
        buckets.join(wide, on="bucket", how="left")
        .fill_null(0)
        .with_columns(total=pl.col("general") + pl.col("major"))
        .sort("bucket")
    )


def pareto(session: Session, actor: Actor, q: HazardQuery, lang: str) -> pl.DataFrame:
    """Hazards per top-level category, largest first, with the cumulative share in percent."""
    n = func.count().label("n")
    stmt = _scoped(actor, q, Hazard.category_id, n).group_by(Hazard.category_id)
    counts = session.execute(stmt).all()
    cats = session.execute(
        select(HazardCategory.id, HazardCategory.code, HazardCategory.parent_code)
    ).all()
    top_of = {i: parent or code for i, code, parent in cats}
    names = {
        code: (en if lang == "en" and en else zh)
        for code, zh, en in session.execute(
            select(HazardCategory.code, HazardCategory.name, HazardCategory.name_en)
        ).all()
    }
    unknown = t("hazard_stats.uncategorised", lang)
    rows = [(names.get(top_of.get(c, ""), unknown), int(k)) for c, k in counts]
    frame = pl.DataFrame(rows, schema={"category": pl.String, "count": pl.Int64}, orient="row")
    frame = frame.group_by("category").agg(pl.col("count").sum())
    total = frame["count"].sum() or 1
    return frame.sort(["count", "category"], descending=[True, False]).with_columns(
        share=(pl.col("count") * 100.0 / total).round(1),
        cumulative=(pl.col("count").cum_sum() * 100.0 / total).round(1),
    )


def area_labels(session: Session, ids: set[int]) -> dict[int, str]:
    """Area names, with the enterprise added where two visible areas share a name (every
    plant has a 办公楼)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Area.id, Area.name, Area.enterprise_id).where(col(Area.id).in_(sorted(ids)))
    ).all()
    enterprises = titles(session, "enterprise", {e for _, _, e in rows if e})
    names = [n for _, n, _ in rows]
    return {i: f"{n}（{enterprises.get(e, '')}）" if names.count(n) > 1 else n for i, n, e in rows}


def area_heatmap(session: Session, actor: Actor, q: HazardQuery, lang: str) -> pl.DataFrame:
    """Long frame (area, month, count) over every month of the period; busiest areas first."""
    month = local_month(session, Hazard.found_at, q.zone).label("month")
    n = func.count().label("n")
    stmt = _scoped(actor, q, Hazard.area_id, month, n).group_by(Hazard.area_id, month)
    rows = session.execute(stmt).all()
    names = area_labels(session, {a for a, _, _ in rows if a is not None})
    unknown = t("hazard_stats.no_area", lang)
    months = pl.date_range(q.start.replace(day=1), q.end, "1mo", eager=True).dt.strftime("%Y-%m")
    found = (
        pl.DataFrame(
            [(names.get(a, unknown), str(m), int(c)) for a, m, c in rows],
            schema={"area": pl.String, "month": pl.String, "count": pl.Int64},
            orient="row",
        )
        .group_by("area", "month")
        .agg(pl.col("count").sum())
    )
    grid = found.select("area").unique().join(pl.DataFrame({"month": months}), how="cross")
    full = grid.join(found, on=["area", "month"], how="left").fill_null(0)
    busiest = full.group_by("area").agg(pl.col("count").sum().alias("all"))
    return (
        full.join(busiest, on="area")
        .sort(["all", "area", "month"], descending=[True, False, False])
        .drop("all")
    )


@dataclass(frozen=True)
class Rates:
    found: int
    counted: int  # found − rejected − voided
    closed: int
    closure_rate: float | None  # percent
    with_deadline: int
    on_time: int
    on_time_rate: float | None
    avg_days: float | None
    repeats: int
    repeat_rate: float | None


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


def rates(session: Session, actor: Actor, q: HazardQuery) -> Rates:
    """The headline figures of the period in one grouped query (definitions: module docstring)."""
    closed = Hazard.state == HazardState.CLOSED
    dated = closed & col(Hazard.deadline).is_not(None) & col(Hazard.closed_at).is_not(None)
    in_time = dated & (local_day(session, Hazard.closed_at, q.zone) <= Hazard.deadline)
    finish = func.coalesce(Hazard.rectified_at, Hazard.closed_at)
    excluded = col(Hazard.state).in_([HazardState.REJECTED, HazardState.VOIDED])

    def count_if(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    stmt = _scoped(
        actor,
        q,
        func.count(),
        count_if(excluded),
        count_if(closed),
        count_if(dated),
        count_if(in_time),
        func.avg(case((closed, days_between(session, Hazard.found_at, finish)), else_=None)),
        count_if(col(Hazard.repeat_of_id).is_not(None)),
    )
    found, excl, done, dl, ok, avg, rep = session.execute(stmt).one()
    counted = int(found) - int(excl)
    return Rates(
        found=int(found),
        counted=counted,
        closed=int(done),
        closure_rate=_pct(int(done), counted),
        with_deadline=int(dl),
        on_time=int(ok),
        on_time_rate=_pct(int(ok), int(dl)),
        avg_days=round(float(avg), 1) if avg is not None else None,
        repeats=int(rep),
        repeat_rate=_pct(int(rep), int(found)),
    )


def overdue(
    session: Session, actor: Actor, q: HazardQuery, today: date, limit: int = OVERDUE_SHOWN
) -> tuple[pl.DataFrame, int]:
    """Hazards overdue today (oldest deadline first, at most ``limit``) and how many in all."""
    clause = overdue_clause(today)
    total = session.execute(_scoped(actor, q, func.count(), period=False).where(clause)).scalar()
    stmt = _scoped(
        actor,
        q,
        Hazard.number,
        Hazard.title,
        Hazard.level,
        Hazard.state,
        Hazard.area_id,
        Hazard.department_id,
        Hazard.deadline,
        period=False,
    ).where(clause)
    # Sorting on an expression keeps SQLite from walking the deadline index through a million
    # closed hazards; it filters on (state, deadline) and sorts the few open ones instead.
    oldest_first = func.coalesce(Hazard.deadline, Hazard.deadline)
    rows = session.execute(stmt.order_by(oldest_first, col(Hazard.id)).limit(limit)).all()
    areas = titles(session, "area", {r.area_id for r in rows if r.area_id})
    departments = titles(session, "department", {r.department_id for r in rows if r.department_id})
    frame = pl.DataFrame(
        [
            {
                "number": r.number,
                "title": r.title,
                "level": str(r.level),
                "state": str(r.state),
                "area": areas.get(r.area_id, ""),
                "department": departments.get(r.department_id, ""),
                "deadline": r.deadline,
                "days_overdue": (today - r.deadline).days,
            }
            for r in rows
        ],
        schema=OVERDUE_SCHEMA,
    )
    return frame, int(total or 0)


OVERDUE_SCHEMA: dict[str, Any] = {
    "number": pl.String,
    "title": pl.String,
    "level": pl.String,
    "state": pl.String,
    "area": pl.String,
    "department": pl.String,
    "deadline": pl.Date,
    "days_overdue": pl.Int64,
}


def repeats(session: Session, actor: Actor, q: HazardQuery, limit: int = 20) -> pl.DataFrame:
    """The hazards repeated most often in the period (rule: ``repeat_of_id``)."""
    n = func.count().label("n")
    stmt = (
        _scoped(actor, q, Hazard.repeat_of_id, n)
        .where(col(Hazard.repeat_of_id).is_not(None))
        .group_by(Hazard.repeat_of_id)
        .order_by(n.desc(), col(Hazard.repeat_of_id))
        .limit(limit)
    )
    counts = session.execute(stmt).all()
    ids = [i for i, _ in counts]
    originals = visible(get_spec("hazard"), actor).with_only_columns(
        Hazard.id, Hazard.number, Hazard.title, Hazard.area_id
    )
    found = {r.id: r for r in session.execute(originals.where(col(Hazard.id).in_(ids))).all()}
    areas = titles(session, "area", {r.area_id for r in found.values() if r.area_id})
    rows = [
        {
            "number": found[i].number if i in found else f"#{i}",
            "title": found[i].title if i in found else "",
            "area": areas.get(found[i].area_id, "") if i in found else "",
            "repeats": int(c),
        }
        for i, c in counts
    ]
    schema = {"number": pl.String, "title": pl.String, "area": pl.String, "repeats": pl.Int64}
    return pl.DataFrame(rows, schema=schema)
