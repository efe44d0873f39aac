"""Data of the GIS permit view (作业票 GIS 视图): permits of a day (or a date range) as markers
on the enterprise floor plan (metres, origin bottom-left, y up), over the risk-coloured areas
of ``analytics.risk_map``.

What a window shows: every permit whose planned window overlaps it, and, when the window
reaches the present, every permit that is running now (in progress or suspended) whatever its
dates, because work that has not been closed is on site. Every query starts from
``core.crud.lookup.visible`` on the permit table, so a department head sees the permits of their
own department (the applying unit) only; names and outlines of types, grades, areas and people
are reached through those permits.

A permit is placed at its recorded position, else at a deterministic spot inside its declared
area (``core.geometry.spot``), and its position is checked against that area
(``core.permit.location``): a recorded position outside the area is a location anomaly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import polars as pl
from sqlmodel import Session, col, select

from analytics import risk_map
from core.clock import site_zone
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.db import utcnow
from core.geometry import box, clean_polygon, spot
from core.i18n import enum_label, t
from core.permit.location import LocationCheck, location_check
from core.rbac import Actor
from models.accounts import User
from models.org import Area, Department
from models.permit import Permit, PermitState
from models.permit_reference import PermitGrade, PermitType

#: Permits on site whatever their planned window says (work not yet finished).
RUNNING: tuple[PermitState, ...] = (PermitState.IN_PROGRESS, PermitState.SUSPENDED)
#: No grade allows more than 720 h (30 days) of validity: a window-overlap query need not look
#: further back than this, which keeps it on the planned_start index.
LOOKBACK = timedelta(days=31)
PHASE = 0.35  # spot phase: permits without a position never sit on a risk point's spot
TIME_FORMAT = "%m-%d %H:%M"


@dataclass(frozen=True)
class PermitFilter:
    """What the map shows: one enterprise, the local days ``first``..``last`` (inclusive) and
    optional type, unit (department) and state filters; empty tuples mean "all"."""

    enterprise_id: int
    first: date
    last: date | None = None
    type_ids: tuple[int, ...] = ()
    department_ids: tuple[int, ...] = ()
    states: tuple[PermitState, ...] = ()

    def window(self, zone: tzinfo | None = None) -> tuple[datetime, datetime]:
        """[start, end) in UTC of the local days chosen."""
        return day_start(self.first, zone), day_start((self.last or self.first) + ONE_DAY, zone)


ONE_DAY = timedelta(days=1)


def day_start(day: date, zone: tzinfo | None = None) -> datetime:
    """Local midnight of ``day`` in the site's zone, as UTC."""
    return datetime.combine(day, time(0), tzinfo=zone or site_zone()).astimezone(UTC)


def hour_window(day: date, hour: int, zone: tzinfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) in UTC of one local hour of ``day`` (the time slider's step)."""
    start = day_start(day, zone) + timedelta(hours=hour)
    return start, start + timedelta(hours=1)


# --- queries -------------------------------------------------------------------------------


COLUMNS = (
    Permit.id,
    Permit.number,
    Permit.permit_type_id,
    PermitType.code.label("type_code"),
    PermitType.name.label("type_name"),
    PermitType.name_en.label("type_name_en"),
    PermitGrade.name.label("grade_name"),
    PermitGrade.name_en.label("grade_name_en"),
    Permit.state,
    Permit.area_id,
    Permit.department_id,
    Department.name.label("unit"),
    Permit.location,
    Permit.x,
    Permit.y,
    Permit.planned_start,
    Permit.planned_end,
    User.display_name.label("applicant"),
)


def permits_stmt(actor: Actor, f: PermitFilter, *columns: Any) -> Any:
    """The actor's permits of the enterprise that pass the type, unit and state filters."""
    stmt = visible(get_spec("permit"), actor).with_only_columns(*columns).select_from(Permit)
    stmt = stmt.where(Permit.enterprise_id == f.enterprise_id)
    if f.type_ids:
        stmt = stmt.where(col(Permit.permit_type_id).in_(list(f.type_ids)))
    if f.department_ids:
        stmt = stmt.where(col(Permit.department_id).in_(list(f.department_ids)))
    if f.states:
        stmt = stmt.where(col(Permit.state).in_(list(f.states)))
    return stmt


def _named(stmt: Any) -> Any:
    """Names of the type, grade, unit and applicant, reached through the permit."""
    return (
        stmt.join(PermitType, PermitType.id == Permit.permit_type_id)
        .outerjoin(PermitGrade, PermitGrade.id == Permit.grade_id)
        .outerjoin(Department, Department.id == Permit.department_id)
        .outerjoin(User, User.id == Permit.applicant_id)
    )


def _rows(session: Session, actor: Actor, f: PermitFilter, now: datetime) -> list[Any]:
    """Permits overlapping the window, plus the running ones when the window reaches now."""
    start, end = f.window()
    overlap = _named(permits_stmt(actor, f, *COLUMNS)).where(
        Permit.planned_start < end,
        Permit.planned_start >= start - LOOKBACK,
        Permit.planned_end > start,
    )
    found = {r.id: r for r in session.execute(overlap).all()}
    if end > now:
        running = _named(permits_stmt(actor, f, *COLUMNS)).where(col(Permit.state).in_(RUNNING))
        found.update((r.id, r) for r in session.execute(running).all())
    return sorted(found.values(), key=lambda r: (r.planned_start, r.id))


def _outlines(session: Session, area_ids: Iterable[int]) -> dict[int, tuple[str, list]]:
    """id → (name, polygon) of the areas that the permits found declare."""
    ids = sorted({i for i in area_ids if i is not None})
    if not ids:
        return {}
    stmt = select(Area.id, Area.name, Area.polygon).where(col(Area.id).in_(ids))
    return {i: (name, clean_polygon(poly)) for i, name, poly in session.execute(stmt).all()}


# --- markers -------------------------------------------------------------------------------


def type_label(code: str, name: str, lang: str) -> str:
    """The short text drawn under a marker: 动火 / 高处 in Chinese, the number prefix in
    English (the legend spells it out)."""
    return code if lang == "en" else name.removesuffix("作业")


def markers(
    session: Session, actor: Actor, f: PermitFilter, lang: str, *, now: datetime | None = None
) -> pl.DataFrame:
    """One row per permit of the window (see the module docstring), earliest start first."""
    now = now or utcnow()
    zone = site_zone()
    rows = _rows(session, actor, f, now)
    outlines = _outlines(session, (r.area_id for r in rows))
    boxes = {i: box(p) for i, (_, p) in outlines.items() if len(p) >= 3}
    out = []
    for r in rows:
        area_name, polygon = outlines.get(r.area_id, (None, []))
        placed = r.x is not None and r.y is not None
        if placed:
            x, y = float(r.x), float(r.y)
        elif r.area_id in boxes:
            x, y = spot(polygon, r.id, PHASE, boxes[r.area_id])
        else:
            x, y = None, None
        state = PermitState(r.state)
        english = lang == "en"
        row = {
            "permit_id": r.id,
            "number": r.number,
            "type_id": r.permit_type_id,
            "type_code": r.type_code,
            "type_name": (r.type_name_en if english and r.type_name_en else r.type_name),
            "type_label": type_label(r.type_code, r.type_name, lang),
            "grade": (r.grade_name_en if english and r.grade_name_en else r.grade_name),
            "state": state.value,
            "state_label": enum_label(state, lang),
            "area_id": r.area_id,
            "area": area_name,
            "department_id": r.department_id,
            "unit": r.unit,
            "location": r.location,
            "x": x,
            "y": y,
            "placed": placed,
            "start": r.planned_start,
            "end": r.planned_end,
            "applicant": r.applicant,
            "check": location_check(polygon, r.x, r.y).value,
            "running": state in RUNNING,
        }
        row["tip"] = _tip(row, lang, zone)
        out.append(row)
    return pl.DataFrame(out, schema=MARKER_SCHEMA)


MARKER_SCHEMA: dict[str, Any] = {
    "permit_id": pl.Int64,
    "number": pl.String,
    "type_id": pl.Int64,
    "type_code": pl.String,
    "type_name": pl.String,
    "type_label": pl.String,
    "grade": pl.String,
    "state": pl.String,
    "state_label": pl.String,
    "area_id": pl.Int64,
    "area": pl.String,
    "department_id": pl.Int64,
    "unit": pl.String,
    "location": pl.String,
    "x": pl.Float64,
    "y": pl.Float64,
    "placed": pl.Boolean,
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "applicant": pl.String,
    "check": pl.String,
    "running": pl.Boolean,
    "tip": pl.String,
}


def _tip(row: dict[str, Any], lang: str, zone: tzinfo) -> str:
    number = row["number"] or t("permit_map.no_number", lang)
    grade = row["grade"] if row["grade"] != row["type_name"] else None  # one-grade types
    kind = " · ".join(v for v in (row["type_name"], grade) if v)
    lines = [
        f"{number}  {kind}",
        t("permit_map.tip.state", lang, state=row["state_label"]),
        t(
            "permit_map.tip.time",
            lang,
            start=row["start"].astimezone(zone).strftime(TIME_FORMAT),
            end=row["end"].astimezone(zone).strftime(TIME_FORMAT),
        ),
        t(
            "permit_map.tip.place",
            lang,
            area=row["area"] or t("permit_map.no_area", lang),
            location=row["location"],
        ),
    ]
    if row["check"] == LocationCheck.OUTSIDE:
        lines.append(t("permit_map.tip.outside", lang))
    elif not row["placed"]:
        lines.append(t("permit_map.tip.no_position", lang))
    lines.append(
        t(
            "permit_map.tip.applicant",
            lang,
            name=row["applicant"] or "—",
            unit=row["unit"] or "—",
        )
    )
    return "\n".join(lines)


# --- selections over the markers -----------------------------------------------------------


def during(
    frame: pl.DataFrame, start: datetime, end: datetime, *, now: datetime | None = None
) -> pl.DataFrame:
    """The markers on site in [start, end). A running permit is on site from its planned start
    until now at least, even past its planned end (work not finished is still there); after
    now it is expected to stop at its planned end."""
    now = now or utcnow()
    until = pl.when(pl.col("running") & (pl.col("end") < now)).then(pl.lit(now)).otherwise("end")
    return frame.filter((pl.col("start") < end) & (until > start))


def outside(frame: pl.DataFrame) -> pl.DataFrame:
    """Permits whose recorded position lies outside their declared area (位置异常)."""
    return frame.filter(pl.col("check") == LocationCheck.OUTSIDE.value)


def state_counts(frame: pl.DataFrame) -> dict[PermitState, int]:
    """Permits per state, every state present as a key (legend and headline)."""
    found = dict(frame.group_by("state").len().iter_rows())
    return {s: int(found.get(s.value, 0)) for s in PermitState}


def areas(session: Session, actor: Actor, enterprise_id: int, lang: str) -> pl.DataFrame:
    """The areas under the markers, coloured by their current risk level (four-colour map)."""
    return risk_map.areas(session, actor, risk_map.MapFilter(enterprise_id), lang)
