"""Save hooks of the compliance tables: clause ↔ regulation link, and the computed totals of
a self-assessment (so a form, an import and the demo score an assessment the same way)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, select

from core import installed
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from models.compliance import Regulation, RegulationClause
from models.compliance_assessment import (
    AssessmentGrade,
    AssessmentItem,
    AssessMethod,
    AutoMetric,
)


def before_save_clause(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Keep the regulation code in step with the picked regulation."""
    regulation = session.get(Regulation, values.get("regulation_id") or -1)
    if regulation is not None:
        values["regulation_code"] = regulation.code


def item_maxima(session: Session, template_id: int) -> dict[str, float]:
    stmt = select(AssessmentItem.code, AssessmentItem.max_score).where(
        AssessmentItem.template_id == template_id, AssessmentItem.deleted_at.is_(None)
    )
    return {code: top for code, top in session.exec(stmt).all()}


def score_problems(scores: dict[str, Any], maxima: dict[str, float]) -> list[Problem]:
    """Unknown item codes and scores outside 0..max are errors, reported per item."""
    problems = []
    for code, value in scores.items():
        if code not in maxima:
            problems.append(Problem("scores", "validation.compliance.unknown_item", {"code": code}))
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if not 0 <= number <= maxima[code]:
            params = {"code": code, "max": maxima[code]}
            problems.append(Problem("scores", "validation.compliance.bad_score", params))
    return problems


def before_save_result(session: Session, values: dict[str, Any], actor: Actor) -> None:
    scores = values.get("scores") or {}
    if not isinstance(scores, dict):
        raise ValidationFailed([Problem("scores", "validation.compliance.scores_object", {})])
    maxima = item_maxima(session, values.get("template_id") or -1)
    problems = score_problems(scores, maxima)
    if problems:
        raise ValidationFailed(problems)
    values["scores"] = scores
    values.update(summarise(scores, maxima))


MetricFn = Callable[[Session, int, date], float | None]
_METRICS: dict[AutoMetric, MetricFn] = {}


def register_metric(metric: AutoMetric, fn: MetricFn) -> MetricFn:
    """A module that owns the data behind ``metric`` registers how to measure it: a share in
    0..1 for one enterprise on a day, or None where there is nothing to measure."""
    _METRICS[metric] = fn
    return fn


def auto_scores(
    session: Session, template_id: int, enterprise_id: int, day: date
) -> dict[str, float]:
    """Scores of the template's automatic items whose metric some module measures: the item's
    maximum times the measured share (evidence items are left to the assessor)."""
    installed.load()  # the modules register their metrics when they load
    stmt = select(AssessmentItem).where(
        AssessmentItem.template_id == template_id,
        AssessmentItem.method == AssessMethod.AUTO,
        AssessmentItem.deleted_at.is_(None),
    )
    scores: dict[str, float] = {}
    for item in session.exec(stmt):
        fn = _METRICS.get(item.metric) if item.metric else None
        share = fn(session, enterprise_id, day) if fn else None
        if share is not None:
            scores[item.code] = round(item.max_score * max(0.0, min(1.0, share)), 2)
    return scores


GRADE_THRESHOLDS: tuple[tuple[float, AssessmentGrade], ...] = (
    (90.0, AssessmentGrade.LEVEL_1),
    (75.0, AssessmentGrade.LEVEL_2),
    (60.0, AssessmentGrade.LEVEL_3),
)


def grade_for(score_rate: float) -> AssessmentGrade:
    """The grade whose threshold the rate (0-100) reaches; below the lowest: fail."""
    return next((g for t, g in GRADE_THRESHOLDS if score_rate >= t), AssessmentGrade.FAIL)


def summarise(scores: dict[str, float], max_scores: dict[str, float]) -> dict[str, Any]:
    """Total, attainable total, rate, gaps and grade of one assessment.

    An item left unscored counts 0 (a gap); an item scored below its maximum is a gap, which
    is what goes to the gap list and on to corrective actions.
    """
    total = sum(min(float(scores.get(code) or 0.0), top) for code, top in max_scores.items())
    max_total = sum(max_scores.values())
    rate = round(100.0 * total / max_total, 1) if max_total else 0.0
    gaps = sum(1 for code, top in max_scores.items() if float(scores.get(code) or 0.0) < top)
    return {
        "total": round(total, 1),
        "max_total": max_total,
        "score_rate": rate,
        "gaps": gaps,
        "grade": grade_for(rate),
    }


def _parse_dates(_mapper: Any, _connection: Any, target: Regulation) -> None:
    """Reference files carry ISO dates as text; the loader builds rows without validation."""
    if isinstance(target.effective_on, str):
        target.effective_on = date.fromisoformat(target.effective_on)


def _link_regulation(_mapper: Any, connection: Any, target: RegulationClause) -> None:
    """Reference rows arrive with a regulation code only: resolve it to the id."""
    if target.regulation_id is None and target.regulation_code:
        table = Regulation.__table__  # type: ignore[attr-defined]
        stmt = select(table.c.id).where(table.c.code == target.regulation_code)
        target.regulation_id = connection.execute(stmt).scalar()


event.listen(Regulation, "before_insert", _parse_dates)
event.listen(RegulationClause, "before_insert", _link_regulation)
