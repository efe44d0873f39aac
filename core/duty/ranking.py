"""Duty ranking (职责监督排名): people or departments ordered by how well they perform their
safety duties over a date range.

The score blends completion, punctuality and review quality the way the seeds describe
(完成度、完成时间、履责评分): 40 % share of due tasks approved, 30 % share handed in on
time, 30 % average review score. Overdue tasks count against completion, so a person who
skips duties cannot rank above one who does them late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from models.duty import DutyTask, DutyTaskState

WEIGHTS = (0.4, 0.3, 0.3)  # completion, on time, review score


@dataclass(frozen=True)
class RankRow:
    """One ranked person or department."""

    key: int
    due: int
    approved: int
    on_time: int
    overdue: int
    avg_score: float
    score: float


def blended_score(due: int, approved: int, on_time: int, avg_score: float) -> float:
    """0–100; a unit with nothing due gets 0 rather than a flattering 100."""
    if due == 0:
        return 0.0
    completion, punctual, quality = approved / due, on_time / due, avg_score / 100
    w_c, w_t, w_q = WEIGHTS
    return round(100 * (w_c * completion + w_t * punctual + w_q * quality), 1)


def ranking(
    session: Session,
    *,
    start: date,
    end: date,
    today: date,
    by: str = "person",
    enterprise_id: int | None = None,
) -> list[RankRow]:
    """Rank by ``person`` (person_id) or ``department`` (department_id), best first, over the
    tasks due in [start, end]."""
    key = {"person": DutyTask.person_id, "department": DutyTask.department_id}[by]
    open_states = (DutyTaskState.PENDING, DutyTaskState.RETURNED)
    stmt = (
        select(
            key,
            func.count(),
            func.sum(case((DutyTask.state == DutyTaskState.APPROVED, 1), else_=0)),
            func.sum(case((DutyTask.on_time.is_(True), 1), else_=0)),  # type: ignore[union-attr]
            func.sum(
                case(
                    (DutyTask.state.in_(open_states) & (DutyTask.due_on < today), 1),  # type: ignore[attr-defined]
                    else_=0,
                )
            ),
            func.avg(DutyTask.score),
        )
        .where(DutyTask.due_on >= start, DutyTask.due_on <= end, key.is_not(None))  # type: ignore[operator, union-attr]
        .where(DutyTask.deleted_at.is_(None))  # type: ignore[union-attr]
        .group_by(key)
    )
    if enterprise_id is not None:
        stmt = stmt.where(DutyTask.enterprise_id == enterprise_id)
    rows = [
        RankRow(
            key=k,
            due=due,
            approved=int(approved or 0),
            on_time=int(on_time or 0),
            overdue=int(overdue or 0),
            avg_score=round(float(avg or 0), 1),
            score=blended_score(due, int(approved or 0), int(on_time or 0), float(avg or 0)),
        )
        for k, due, approved, on_time, overdue, avg in session.exec(stmt).all()
    ]
    return sorted(rows, key=lambda r: (-r.score, r.overdue, r.key))
