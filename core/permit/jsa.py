"""JSA suggestions (作业危害分析建议): a permit's job safety analysis starts from the risks of
its own kind of work (``core.permit.jsa_risks``), then the risk points already identified in
the work area whose accident type belongs to that work, with their control measures.

A hot-work permit in a workshop with cranes is offered fire and explosion, not the cranes:
before, every risk point of the area was offered whatever the work, most severe first.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.permit.jsa_risks import ACCIDENT_CODES, type_lines
from core.rbac import Actor
from core.risk.scoring import SEVERITY
from models.reference import AccidentType
from models.risk_register import RiskMeasure, RiskPoint

MAX_POINTS = 8


def jsa_suggestions(
    session: Session, actor: Actor, area_id: int | None, type_code: str, lang: str = "zh-CN"
) -> list[dict[str, str]]:
    """The work type's lines, then one line per matching risk point of the area (most severe
    first): step, hazard, measures."""
    return type_lines(type_code, lang) + _area_lines(session, actor, area_id, type_code)


def _area_lines(
    session: Session, actor: Actor, area_id: int | None, type_code: str
) -> list[dict[str, str]]:
    codes = ACCIDENT_CODES.get(type_code, ())  # a StrEnum key answers to its plain value
    if area_id is None or not codes:
        return []
    kinds = select(AccidentType.id).where(col(AccidentType.code).in_(codes))
    stmt = visible(get_spec("risk_point"), actor).where(
        RiskPoint.area_id == area_id, col(RiskPoint.accident_type_id).in_(kinds)
    )
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
