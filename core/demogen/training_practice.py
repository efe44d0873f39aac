"""Demo wrong-answer books, practice and points, derived from the demo's recent exam records:
every question a record lists as wrong goes into its person's book with the answer they gave
(the record's own, else a plausible wrong one), about a third of them were practised until
mastered, and passed exams and right practice answers earned points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from core.config import get_settings
from core.demogen import DemoContext
from models.training_exam import ExamRecord, Question, QuestionKind
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
    bank = select(Question.id, Question.kind, Question.options, Question.answer)
    keys = {q: (kind, len(opts or []), key) for q, kind, opts, key in ctx.session.exec(bank)}
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
        given = {
            int(item["question_id"]): item.get("given")
            for item in (answers or {}).get("items", {}).values()
        }
        for question in (answers or {}).get("wrong", []):
            row = book.setdefault(
                (person, question), {**scope, "question_id": question, "times_wrong": 0}
            )
            row["times_wrong"] += 1
            row["last_wrong_at"] = at
            row["last_given"] = given.get(question) or _wrong_answer(
                *keys[question], pick=person + question
            )
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


def _wrong_answer(kind: QuestionKind, options: int, key: str, *, pick: int) -> str | None:
    """A wrong answer someone might give, in the question's own letters: another option, a
    multiple choice with one right letter missing (or one too many), the other of true/false;
    None (not answered) for a written answer. ``pick`` chooses without touching the demo's
    random stream, so the rest of the demo stays as it was."""
    letters = [chr(ord("A") + n) for n in range(options)]
    others = [letter for letter in letters if letter not in key]
    if kind == QuestionKind.TRUE_FALSE:
        return "F" if key == "T" else "T"
    if kind == QuestionKind.SINGLE and others:
        return others[pick % len(others)]
    if kind == QuestionKind.MULTIPLE and len(key) > 1:
        return key.replace(key[pick % len(key)], "")
    if kind == QuestionKind.MULTIPLE and others:
        return "".join(sorted(key + others[pick % len(others)]))
    return None


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
