"""JSA suggestions (作业危害分析建议): the risk points already identified in the work area, with
their hazard factors and control measures, offered as the first lines of a permit's JSA."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.rbac import Actor
from core.risk.scoring import SEVERITY
from models.risk_register import RiskMeasure, RiskPoint

MAX_POINTS = 8


def jsa_suggestions(session: Session, actor: Actor, area_id: int | None) -> list[dict[str, str]]:
    """One line per risk point of the area (most severe first): step, hazard, measures."""
    if area_id is None:
        return []
    stmt = visible(get_spec("risk_point"), actor).where(RiskPoint.area_id == area_id)
    found = session.exec(stmt.order_by(RiskPoint.name).limit(MAX_POINTS * 50)).all()
    distinct = {(p.name, p.hazard_factors): p for p in found}  # many lines share one text
    ranked = sorted(distinct.values(), key=lambda p: -SEVERITY.index(p.current_level))
    points = ranked[:MAX_POINTS]
    if not points:
        return []
    measures: dict[int, list[str]] = defaultdict(list)
    rows = session.exec(
        select(RiskMeasure.point_id, RiskMeasure.content).where(
            col(RiskMeasure.point_id).in_([p.id for p in points]),
            col(RiskMeasure.deleted_at).is_(None),
        )
    ).all()
    for point_id, content in rows:
        measures[point_id].append(content)
    return [
        {
            "step": p.name,
            "hazard": p.hazard_factors or "",
            "measure": "；".join(measures[p.id][:4]),
        }
        for p in points
    ]
