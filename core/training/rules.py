"""Training rules shared by forms, imports and the demo: exam pass, grading, certificate dates."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor, PermissionDenied
from models.org import Person
from models.training import TrainingCertificateKind
from models.training_exam import QuestionKind

SPECIAL_VALID_YEARS = 6  # 特种作业操作证 valid six years ...
SPECIAL_REVIEW_YEARS = 3  # ... and reviewed every three
REVIEW_EARLY_DAYS = 60  # a review applied for within 60 days before it is due counts for it
REVIEWED_KINDS = (
    TrainingCertificateKind.SPECIAL_OPERATION,
    TrainingCertificateKind.SPECIAL_EQUIPMENT,
)
OTHER_VALID_YEARS = 3
WARN_DAYS = 30
LETTERS = "ABCDEFGH"


def is_passed(score: float, pass_score: float) -> bool:
    """An exam is passed when the score reaches the paper's pass score (inclusive)."""
    return score >= pass_score


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def certificate_dates(kind: str, issued_on: date) -> tuple[date, date | None]:
    """(expires_on, review_due_on): special-operation ones 6 years with a 3-year review."""
    if kind in REVIEWED_KINDS:
        return add_years(issued_on, SPECIAL_VALID_YEARS), add_years(issued_on, SPECIAL_REVIEW_YEARS)
    return add_years(issued_on, OTHER_VALID_YEARS), None


def next_review(
    kind: str, issued_on: date, reviewed_on: date | None, expires_on: date | None
) -> date | None:
    """The next review (复审) due: every three years from issue, the one after the last review
    (done at most ``REVIEW_EARLY_DAYS`` early); None for kinds without a review, or when the
    next one would fall on or after expiry (the certificate is renewed instead). Recording a
    review thus moves the due date, and the reminder stops."""
    if kind not in REVIEWED_KINDS:
        return None
    cycles = 1
    due = add_years(issued_on, SPECIAL_REVIEW_YEARS)
    while reviewed_on is not None and due <= reviewed_on + timedelta(days=REVIEW_EARLY_DAYS):
        cycles += 1
        due = add_years(issued_on, SPECIAL_REVIEW_YEARS * cycles)
    return due if expires_on is None or due < expires_on else None


def normalise_answer(kind: str, answer: str) -> str:
    """Letters sorted and upper-cased for choice questions, so ``"ca"`` equals ``"AC"``."""
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return "".join(sorted({c for c in answer.upper() if c.isalpha()}))
    if kind == QuestionKind.TRUE_FALSE:
        return answer.strip().upper()[:1]
    if kind == QuestionKind.FILL_IN:
        return "".join(answer.split()).casefold()
    return answer.strip()


def accepted_fills(expected: str) -> set[str]:
    """A fill-in key lists its accepted answers separated by ``|`` (``"119|火警电话"``);
    case and spaces do not matter, so a phone keyboard's stray space is no wrong answer."""
    fills = (normalise_answer(QuestionKind.FILL_IN, part) for part in expected.split("|"))
    return {fill for fill in fills if fill}


def is_correct(kind: str, expected: str, given: str) -> bool:
    """Auto-grading; short answers are marked by hand and never count as correct here."""
    if kind == QuestionKind.SHORT_ANSWER:
        return False
    if kind == QuestionKind.FILL_IN:
        return normalise_answer(kind, given) in accepted_fills(expected)
    return normalise_answer(kind, expected) == normalise_answer(kind, given)


def answer_problems(kind: str, options: list[str], answer: str) -> list[Problem]:
    """The answer must name existing options: one for single, at least two for multiple."""
    norm = normalise_answer(kind, answer or "")
    if kind == QuestionKind.TRUE_FALSE:
        ok = norm in ("T", "F")
    elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        allowed = set(LETTERS[: len(options)])
        count_ok = len(norm) == 1 if kind == QuestionKind.SINGLE else len(norm) >= 2
        ok = bool(norm) and set(norm) <= allowed and count_ok
    elif kind == QuestionKind.FILL_IN:
        ok = bool(accepted_fills(answer or ""))
    else:
        ok = bool(norm)
    return [] if ok else [Problem("answer", "validation.training.bad_answer", {})]


def _person_scope(session: Session, values: dict[str, Any]) -> None:
    person = session.get(Person, values.get("person_id") or -1)
    if person is not None:
        values["enterprise_id"] = person.enterprise_id
        values["department_id"] = person.department_id


def before_question(session: Session, values: dict[str, Any], actor: Actor) -> None:
    # an empty cell is "no options" (a true/false question), never a NULL list to trip over
    if "options" in values and not values["options"]:
        values["options"] = []
    problems = answer_problems(
        values.get("kind", ""), values.get("options") or [], values.get("answer") or ""
    )
    if problems:
        raise ValidationFailed(problems)


def before_paper(session: Session, values: dict[str, Any], actor: Actor) -> None:
    if float(values.get("pass_score") or 0) > float(values.get("total_score") or 100):
        raise ValidationFailed([Problem("pass_score", "validation.training.pass_over_total", {})])


def typed_exam_record(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Exam records come from a graded attempt or the offline score import (each with its
    number, attempt and consequences), never from a form, an import or the CLI."""
    raise PermissionDenied("error.exam.record_by_engine")


def before_person_row(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _person_scope(session, values)


def before_certificate(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Scope from the holder; expiry by the kind's validity unless given; the review due
    date always from issue, kind and last review (``next_review``)."""
    _person_scope(session, values)
    issued = values.get("issued_on")
    if issued is not None:
        kind = values.get("kind", "")
        values["expires_on"] = values.get("expires_on") or certificate_dates(kind, issued)[0]
        values["review_due_on"] = next_review(
            kind, issued, values.get("reviewed_on"), values["expires_on"]
        )
