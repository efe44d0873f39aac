"""Incident rules shared by forms, imports and the demo: the accident grade of State Council
Order 493 art. 3 and the incident number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlmodel import Session, select

from core.numbering import next_in
from models.incident import AccidentGrade, Incident, IncidentKind
from models.incident_action import CorrectiveActionState

NUMBER_PREFIX = {
    IncidentKind.ACCIDENT: "SG",  # 事故
    IncidentKind.MINOR: "SJ",  # 事件
    IncidentKind.NEAR_MISS: "WS",  # 未遂
}


class GradeRule(Protocol):
    code: str
    rank: int
    min_deaths: int | None
    min_serious_injuries: int | None
    min_direct_loss: float | None


def _reaches(value: float, bound: float | None) -> bool:
    return bound is not None and value >= bound


def accident_grade(
    deaths: int, serious: int, loss: float, rules: Sequence[GradeRule]
) -> GradeRule | None:
    """The gravest grade any one criterion reaches ("以上" includes the bound).

    A rule without bounds (一般) is the floor every accident reaches.

    >>> from models.incident import AccidentGrade as G
    >>> rules = [G(code="general", rank=1), G(code="larger", rank=2, min_deaths=3)]
    >>> accident_grade(3, 0, 0, rules).code
    'larger'
    """
    best: GradeRule | None = None
    for rule in sorted(rules, key=lambda r: r.rank):
        bounds = (rule.min_deaths, rule.min_serious_injuries, rule.min_direct_loss)
        floor = all(b is None for b in bounds)
        hit = (
            _reaches(deaths or 0, rule.min_deaths)
            or _reaches(serious or 0, rule.min_serious_injuries)
            or _reaches(loss or 0, rule.min_direct_loss)
        )
        if floor or hit:
            best = rule
    return best


def grade_rules(session: Session) -> list[AccidentGrade]:
    """The thresholds as the admin keeps them (deleted rows do not count)."""
    stmt = select(AccidentGrade).where(AccidentGrade.deleted_at.is_(None))  # type: ignore[union-attr]
    return list(session.exec(stmt))


def number_prefix(kind: IncidentKind | str, occurred_at: datetime) -> str:
    return f"{NUMBER_PREFIX[IncidentKind(kind)]}{occurred_at:%Y%m%d}-"


def next_number(session: Session, kind: IncidentKind | str, occurred_at: datetime) -> str:
    """``SG20261124-003``: kind, day, and the day's next sequence for that kind."""
    prefix = number_prefix(kind, occurred_at)
    return f"{prefix}{next_in(session, Incident.number, prefix):03d}"


def is_overdue(state: CorrectiveActionState | str, deadline: date | None, today: date) -> bool:
    """Open past its deadline; a closed action is never overdue."""
    return state != CorrectiveActionState.CLOSED and deadline is not None and deadline < today
