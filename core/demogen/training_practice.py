"""Demo wrong-answer books, practice and points, derived from the demo's recent exam records:
every question a record lists as wrong goes into its person's book, about a third of them
were practised until mastered, and passed exams and right practice answers earned points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from core.config import get_settings
from core.demogen import DemoContext
from models.training_exam import ExamRecord
from models.training_learning import (
    PointsEntry,
    PointsReason,
    PracticeAnswer,
    PracticeMode,
    WrongAnswer,
)

LEARNING_DAYS = 90  # exams of the last three months feed the books
PRACTISED_SHARE = 0.3


def add_learning(ctx: DemoContext) -> None:
    """Books, practice answers and points for the exams of the last ``LEARNING_DAYS``."""
    settings = get_settings()
    since = ctx.moment(ctx.today - timedelta(days=LEARNING_DAYS))
    stmt = (
        select(
            ExamRecord.id,
            ExamRecord.person_id,
            ExamRecord.passed,
            ExamRecord.submitted_at,
            ExamRecord.answers,
            ExamRecord.enterprise_id,
            ExamRecord.department_id,
        )
        .where(col(ExamRecord.started_at) >= since)
        .order_by(col(ExamRecord.started_at))
    )
    book: dict[tuple[int, int], dict[str, Any]] = {}
    points: list[dict[str, Any]] = []
    for record_id, person, passed, at, answers, ent, dept in ctx.session.exec(stmt).all():
        scope = {"person_id": person, "enterprise_id": ent, "department_id": dept}
        if passed:
            points.append(
                {
                    **scope,
                    "reason": PointsReason.EXAM_PASSED,
                    "points": settings.points_exam_passed,
                    "ref_table": "exam_record",
                    "ref_id": record_id,
                    "earned_at": at,
                }
            )
        for question in (answers or {}).get("wrong", []):
            row = book.setdefault(
                (person, question), {**scope, "question_id": question, "times_wrong": 0}
            )
            row["times_wrong"] += 1
            row["last_wrong_at"] = at
    practice = _practised(ctx, list(book.values()), settings.practice_mastery_streak)
    ctx.bulk(WrongAnswer, book.values())
    ids = ctx.bulk(PracticeAnswer, practice)
    paid: dict[tuple[int, Any], int] = {}
    for answer_id, row in zip(ids, practice, strict=True):
        day = (row["person_id"], row["answered_at"].date())
        pay = min(
            settings.points_practice_right, settings.points_practice_daily_cap - paid.get(day, 0)
        )
        if pay > 0:
            paid[day] = paid.get(day, 0) + pay
            points.append(
                {
                    "person_id": row["person_id"],
                    "enterprise_id": row["enterprise_id"],
                    "department_id": row["department_id"],
                    "reason": PointsReason.PRACTICE,
                    "points": pay,
                    "ref_table": "practice_answer",
                    "ref_id": answer_id,
                    "earned_at": row["answered_at"],
                }
            )
    ctx.bulk(PointsEntry, points)


def _practised(ctx: DemoContext, book: list[dict[str, Any]], streak: int) -> list[dict]:
    """Right practice answers in a row for a share of the book, which mark those mastered."""
    rows = []
    for entry in book:
        at = entry["last_wrong_at"] + timedelta(days=ctx.rng.randint(1, 6), hours=2)
        if ctx.rng.random() >= PRACTISED_SHARE or at.date() >= ctx.today:
            entry["right_in_practice"] = 0
            continue
        entry["right_in_practice"] = streak
        entry["mastered_at"] = at
        rows += [
            {
                "person_id": entry["person_id"],
                "question_id": entry["question_id"],
                "mode": PracticeMode.WRONG_BOOK,
                "correct": True,
                "answered_at": at + timedelta(minutes=n),
                "enterprise_id": entry["enterprise_id"],
                "department_id": entry["department_id"],
            }
            for n in range(streak)
        ]
    return rows
