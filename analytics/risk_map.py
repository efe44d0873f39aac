"""Data of the four-colour risk map (风险四色图): areas coloured by level, risk points and
open hazards as markers, all in the enterprise's floor-plan frame (metres, origin bottom-left,
y up).

Every query starts from ``core.crud.lookup.visible`` so a department head sees their
department's areas, points and hazards only. Counts are grouped in the database; only the
markers drawn are fetched row by row, capped at ``MAX_POINT_MARKERS`` (most severe first).

An area's level is the highest *current* (dynamic) level of its risk points that pass the
filters. An area without any risk point keeps its own ``risk_level``; an area whose points are
all filtered out has no level (drawn grey), so a filtered map never shows a colour it cannot
explain.

The markers (risk points, open hazards) are in ``analytics.risk_markers``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.geometry import clean_polygon, label_point
from core.i18n import enum_label, t
from core.rbac import Actor
from core.risk.scoring import SEVERITY
from models.enums import RiskLevel
from models.hazard import OPEN_STATES, Hazard, HazardCategory
from models.org import Area
from models.reference import AccidentType
from models.risk_register import RiskPoint


@dataclass(frozen=True)
class MapFilter:
    """What the map shows. Empty tuples mean "all"."""

    enterprise_id: int
    department_id: int | None = None
    levels: tuple[RiskLevel, ...] = tuple(RiskLevel)
    accident_type_ids: tuple[int, ...] = ()
    hazard_category_ids: tuple[int, ...] = field(default=())


# --- queries -------------------------------------------------------------------------------


def _names(rows: Sequence[Any], lang: str) -> dict[int, str]:
    return {i: (en if lang == "en" and en else zh) for i, zh, en in rows}


def accident_types(session: Session, actor: Actor, lang: str) -> dict[int, str]:
    """id → name of the accident types the filter offers, in catalogue (GB 6441) order."""
    stmt = visible(get_spec("accident_type"), actor).with_only_columns(
        AccidentType.id, AccidentType.name, AccidentType.name_en
    )
    return _names(session.execute(stmt.order_by(AccidentType.code)).all(), lang)


def hazard_categories(session: Session, actor: Actor, lang: str) -> dict[int, str]:
    """id → name of the top-level hazard categories the filter offers (a pick means the
    family, see ``category_ids``), in code order."""
    stmt = visible(get_spec("hazard_category"), actor).with_only_columns(
        HazardCategory.id, HazardCategory.name, HazardCategory.name_en
    )
    stmt = stmt.where(col(HazardCategory.parent_code).is_(None)).order_by(HazardCategory.code)
    return _names(session.execute(stmt).all(), lang)


def open_clause() -> Any:
    return col(Hazard.state).in_(OPEN_STATES)


def category_ids(session: Session, chosen: Sequence[int]) -> list[int]:
    """``chosen`` categories and their sub-categories (a top-level pick means the family)."""
    if not chosen:
        return []
    codes = select(HazardCategory.code).where(col(HazardCategory.id).in_(list(chosen)))
    stmt = select(HazardCategory.id).where(
        or_(col(HazardCategory.code).in_(codes), col(HazardCategory.parent_code).in_(codes))
    )
    return sorted(session.execute(stmt).scalars().all())


def points_stmt(actor: Actor, f: MapFilter, *columns: Any, by_type: bool = True) -> Any:
    stmt = visible(get_spec("risk_point"), actor).with_only_columns(*columns)
    stmt = stmt.where(RiskPoint.enterprise_id == f.enterprise_id)
    if f.department_id is not None:
        stmt = stmt.where(RiskPoint.department_id == f.department_id)
    if by_type and f.accident_type_ids:
        stmt = stmt.where(col(RiskPoint.accident_type_id).in_(list(f.accident_type_ids)))
    return stmt


def open_hazards_stmt(session: Session, actor: Actor, f: MapFilter, *columns: Any) -> Any:
    stmt = visible(get_spec("hazard"), actor).with_only_columns(*columns)
    stmt = stmt.where(Hazard.enterprise_id == f.enterprise_id, open_clause())
    if f.department_id is not None:
        stmt = stmt.where(Hazard.department_id == f.department_id)
    if f.hazard_category_ids:
        ids = category_ids(session, f.hazard_category_ids)
        stmt = stmt.where(col(Hazard.category_id).in_(ids))
    return stmt


def _area_rows(session: Session, actor: Actor, f: MapFilter) -> list[Any]:
    stmt = visible(get_spec("area"), actor).with_only_columns(
        Area.id, Area.name, Area.department_id, Area.risk_level, Area.polygon
    )
    stmt = stmt.where(Area.enterprise_id == f.enterprise_id)
    if f.department_id is not None:
        stmt = stmt.where(Area.department_id == f.department_id)
    return list(session.execute(stmt.order_by(Area.id)).all())


def area_polygons(session: Session, actor: Actor, f: MapFilter) -> dict[int, list[list[float]]]:
    """id → polygon of the areas the actor may see (for placing markers)."""
    return {r.id: clean_polygon(r.polygon) for r in _area_rows(session, actor, f)}


def _level_text(level: RiskLevel | None, lang: str) -> str:
    return enum_label(level, lang) if level is not None else t("risk_map.no_level", lang)


def areas(session: Session, actor: Actor, f: MapFilter, lang: str) -> pl.DataFrame:
    """One row per visible area: polygon, level, point counts per level, open hazards, tip."""
    rows = _area_rows(session, actor, f)
    counts: dict[int, dict[RiskLevel, int]] = defaultdict(dict)
    n = func.count().label("n")
    grouped = points_stmt(actor, f, RiskPoint.area_id, RiskPoint.current_level, n).group_by(
        RiskPoint.area_id, RiskPoint.current_level
    )
    for area_id, level, count in session.execute(grouped).all():
        counts[area_id][RiskLevel(level)] = int(count)
    with_points = set(counts)
    if f.accident_type_ids:  # areas whose points were all filtered out still "have points"
        stmt = points_stmt(actor, f, RiskPoint.area_id, by_type=False).distinct()
        with_points |= set(session.execute(stmt).scalars().all())
    stmt = open_hazards_stmt(session, actor, f, Hazard.area_id, n).group_by(Hazard.area_id)
    hazards = {a: int(c) for a, c in session.execute(stmt).all()}
    out = []
    for r in rows:
        mine = counts.get(r.id, {})
        present = [lvl for lvl in reversed(SEVERITY) if mine.get(lvl)]
        level = present[0] if present else (None if r.id in with_points else r.risk_level)
        level = RiskLevel(level) if level is not None else None
        polygon = clean_polygon(r.polygon)
        label_x, label_y = label_point(polygon)
        out.append(
            {
                "area_id": r.id,
                "name": r.name,
                "department_id": r.department_id,
                "polygon": polygon,
                "label_x": label_x,
                "label_y": label_y,
                "level": level.value if level else None,
                "in_filter": level is not None and level in f.levels,
                **{f"n_{lvl.value}": mine.get(lvl, 0) for lvl in RiskLevel},
                "points": sum(mine.values()),
                "open_hazards": hazards.get(r.id, 0),
            }
        )
    for row in out:
        row["tip"] = _area_tip(row, lang)
    return pl.DataFrame(out, schema=AREA_SCHEMA)


AREA_SCHEMA: dict[str, Any] = {
    "area_id": pl.Int64,
    "name": pl.String,
    "department_id": pl.Int64,
    "polygon": pl.List(pl.List(pl.Float64)),
    "label_x": pl.Float64,
    "label_y": pl.Float64,
    "level": pl.String,
    "in_filter": pl.Boolean,
    **{f"n_{lvl.value}": pl.Int64 for lvl in RiskLevel},
    "points": pl.Int64,
    "open_hazards": pl.Int64,
    "tip": pl.String,
}


def _area_tip(row: dict[str, Any], lang: str) -> str:
    level = RiskLevel(row["level"]) if row["level"] else None
    split = " · ".join(
        f"{t(f'risk_map.short.{lvl.value}', lang)} {row[f'n_{lvl.value}']}"
        for lvl in reversed(SEVERITY)
    )
    return "\n".join(
        [
            row["name"],
            _level_text(level, lang),
            t("risk_map.tip.points", lang, count=row["points"], split=split),
            t("risk_map.tip.open_hazards", lang, count=row["open_hazards"]),
        ]
    )


def level_counts(area_frame: pl.DataFrame) -> dict[RiskLevel, int]:
    """Risk points per current level over the areas shown (legend and wall tiles)."""
    return {lvl: int(area_frame[f"n_{lvl.value}"].sum()) for lvl in RiskLevel}


def area_level_counts(area_frame: pl.DataFrame) -> dict[RiskLevel, int]:
    """Areas per level (the four-colour map's own headline)."""
    levels = area_frame["level"].to_list()
    return {lvl: levels.count(lvl.value) for lvl in RiskLevel}
