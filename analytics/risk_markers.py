"""Markers of the risk map: risk points and open hazards, placed on the floor plan.

Points are fetched most severe first and capped at ``MAX_POINT_MARKERS`` (a plant has thousands;
the areas' colours and counts come from grouped queries in ``analytics.risk_map`` and are never
capped). A marker without ``plan_x``/``plan_y`` is placed inside its area by
``core.geometry.spot``: deterministic by row id, the same spot whatever the filters.
Markers of areas the actor cannot see are not drawn unless they have a position of their own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import func
from sqlmodel import Session, col

from analytics import risk_map
from core.geometry import box, spot
from core.hazard.overdue import is_overdue
from core.i18n import enum_label, t
from core.rbac import Actor
from core.risk.dynamic import reason_text
from core.risk.scoring import SEVERITY
from models.enums import RiskLevel
from models.hazard import Hazard, HazardState
from models.risk_register import RiskPoint

MAX_POINT_MARKERS = 2000
POINT_PHASE, HAZARD_PHASE = 0.5, 0.2  # different phases: a hazard never hides a point


def point_markers(
    session: Session,
    actor: Actor,
    f: risk_map.MapFilter,
    lang: str,
    *,
    limit: int = MAX_POINT_MARKERS,
) -> pl.DataFrame:
    """Risk points to draw, most severe first, at most ``limit``; dynamic raises are flagged."""
    polygons = risk_map.area_polygons(session, actor, f)
    columns = (
        RiskPoint.id,
        RiskPoint.name,
        RiskPoint.area_id,
        RiskPoint.current_level,
        RiskPoint.residual_level,
        RiskPoint.current_reason,
        RiskPoint.plan_x,
        RiskPoint.plan_y,
    )
    rows: list[Any] = []
    for level in reversed(SEVERITY):
        if level not in f.levels or len(rows) >= limit:
            continue
        stmt = risk_map.points_stmt(actor, f, *columns).where(
            RiskPoint.current_level == level,
            col(RiskPoint.area_id).in_(list(polygons)) | _has_position(),  # placeable only
        )
        stmt = stmt.order_by(col(RiskPoint.id)).limit(limit - len(rows))
        rows += session.execute(stmt).all()
    hazards = _hazards_per_point(session, actor, f)
    place = _Placer(polygons, POINT_PHASE)
    out = []
    for r in rows:
        x, y = place(r)
        if x is None:
            continue
        current, residual = RiskLevel(r.current_level), RiskLevel(r.residual_level)
        raised = current != residual
        lines = [r.name, enum_label(current, lang)]
        lines.append(t("risk_map.tip.open_hazards", lang, count=hazards.get(r.id, 0)))
        if raised:
            lines.append(
                t(
                    "risk_map.tip.raised",
                    lang,
                    residual=enum_label(residual, lang),
                    reason=reason_text(r.current_reason, lang),
                )
            )
        out.append(
            {
                "point_id": r.id,
                "name": r.name,
                "area_id": r.area_id,
                "level": current.value,
                "raised": raised,
                "x": x,
                "y": y,
                "open_hazards": hazards.get(r.id, 0),
                "tip": "\n".join(lines),
            }
        )
    return pl.DataFrame(out, schema=POINT_SCHEMA)


POINT_SCHEMA: dict[str, Any] = {
    "point_id": pl.Int64,
    "name": pl.String,
    "area_id": pl.Int64,
    "level": pl.String,
    "raised": pl.Boolean,
    "x": pl.Float64,
    "y": pl.Float64,
    "open_hazards": pl.Int64,
    "tip": pl.String,
}


def _hazards_per_point(session: Session, actor: Actor, f: risk_map.MapFilter) -> dict[int, int]:
    """Open hazards per risk point (open hazards are few: one grouped query, no id list)."""
    stmt = (
        risk_map.open_hazards_stmt(session, actor, f, Hazard.risk_point_id, func.count().label("n"))
        .where(col(Hazard.risk_point_id).is_not(None))
        .group_by(Hazard.risk_point_id)
    )
    return {p: int(c) for p, c in session.execute(stmt).all()}


def _has_position() -> Any:
    return col(RiskPoint.plan_x).is_not(None) & col(RiskPoint.plan_y).is_not(None)


class _Placer:
    """Positions for markers: their own, else a spot inside their area (boxes computed once)."""

    def __init__(self, polygons: dict[int, list[list[float]]], phase: float) -> None:
        self.polygons, self.phase = polygons, phase
        self.boxes = {i: box(p) for i, p in polygons.items() if len(p) >= 3}

    def __call__(self, row: Any) -> tuple:
        if row.plan_x is not None and row.plan_y is not None:
            return (float(row.plan_x), float(row.plan_y))
        if row.area_id not in self.boxes:
            return (None, None)
        return spot(self.polygons[row.area_id], row.id, self.phase, self.boxes[row.area_id])


def hazard_markers(
    session: Session, actor: Actor, f: risk_map.MapFilter, lang: str, today: date
) -> pl.DataFrame:
    """Open hazards with a place on the plan (their own position, else inside their area)."""
    polygons = risk_map.area_polygons(session, actor, f)
    stmt = risk_map.open_hazards_stmt(
        session,
        actor,
        f,
        Hazard.id,
        Hazard.number,
        Hazard.title,
        Hazard.level,
        Hazard.state,
        Hazard.area_id,
        Hazard.deadline,
        Hazard.plan_x,
        Hazard.plan_y,
    )
    place = _Placer(polygons, HAZARD_PHASE)
    out = []
    for r in session.execute(stmt.order_by(col(Hazard.id))).all():
        x, y = place(r)
        if x is None:
            continue
        overdue = is_overdue(r.deadline, r.state, today)
        lines = [f"{r.number or ''} {r.title}".strip()]
        lines.append(f"{enum_label(r.level, lang)} · {enum_label(HazardState(r.state), lang)}")
        if r.deadline is not None:
            key = "risk_map.tip.overdue" if overdue else "risk_map.tip.deadline"
            lines.append(t(key, lang, date=r.deadline.isoformat()))
        out.append(
            {
                "hazard_id": r.id,
                "number": r.number,
                "level": str(r.level),
                "overdue": overdue,
                "x": x,
                "y": y,
                "tip": "\n".join(lines),
            }
        )
    return pl.DataFrame(out, schema=HAZARD_SCHEMA)


HAZARD_SCHEMA: dict[str, Any] = {
    "hazard_id": pl.Int64,
    "number": pl.String,
    "level": pl.String,
    "overdue": pl.Boolean,
    "x": pl.Float64,
    "y": pl.Float64,
    "tip": pl.String,
}
