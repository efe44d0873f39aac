"""A rule-set paper's points must add up to its total score.

The rules (count × points each) decide what a drawn paper is worth; the paper's total and pass
score are typed separately. When the two disagree, a candidate could score 120 on a "100"
paper or never reach the pass score, so: a rule that would push the sum past the total is
refused on save, a paper whose sum differs is refused at the start of an attempt, and the
paper's pages warn (``mismatch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.crud.lookup import visible_row
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from models.training_exam import ExamPaper, ExamPaperRule


@dataclass(frozen=True)
class Mismatch:
    """A rule-set paper whose rules add up to ``rules`` points, not its ``total``."""

    rules: float
    total: float

    @property
    def params(self) -> dict[str, str]:
        return {"rules": f"{self.rules:g}", "total": f"{self.total:g}"}


def _rules_sum(
    session: Session, paper_id: int, leaving_out: int | None = None
) -> tuple[int, float]:
    """How many live rules a paper has and their points (``leaving_out`` one being edited):
    one query, as every exam start asks it."""
    stmt = select(
        func.count(col(ExamPaperRule.id)),
        func.coalesce(func.sum(ExamPaperRule.count * ExamPaperRule.points_each), 0.0),
    ).where(ExamPaperRule.paper_id == paper_id, col(ExamPaperRule.deleted_at).is_(None))
    if leaving_out is not None:
        stmt = stmt.where(col(ExamPaperRule.id) != leaving_out)
    count, points = session.exec(stmt).one()
    return int(count), round(float(points), 2)


def mismatch(session: Session, paper: ExamPaper) -> Mismatch | None:
    """None for a fixed paper (its total is shared over its questions) or one that adds up."""
    count, points = _rules_sum(session, paper.id or -1)
    if not count or points == round(paper.total_score, 2):
        return None
    return Mismatch(points, paper.total_score)


def before_rule(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Refuse a rule that makes the paper's rules worth more than its total score."""
    paper = session.get(ExamPaper, values.get("paper_id") or -1)
    if paper is None:
        return
    others = _rules_sum(session, paper.id or -1, values.get("id"))[1]
    mine = int(values.get("count") or 0) * float(values.get("points_each") or 0)
    if round(others + mine, 2) > round(paper.total_score, 2):
        params = {"sum": f"{others + mine:g}", "total": f"{paper.total_score:g}"}
        raise ValidationFailed(
            [Problem("points_each", "validation.training.rules_over_total", params)]
        )


def paper_warning(session: Session, actor: Actor, paper_id: int) -> Mismatch | None:
    """The mismatch of a paper the actor may see, for a page to warn about."""
    paper = visible_row(session, "exam_paper", actor, paper_id)
    return None if paper is None else mismatch(session, paper)
