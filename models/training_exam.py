"""Training exams: the question bank, papers, and the record of each attempt.

Questions keep their options as a JSON list and the answer as option letters (``"B"``,
``"ACD"``), ``"T"``/``"F"`` for true/false, accepted answers separated by ``|`` for fill-in,
or reference text for short answers, so the auto-grader in ``core.training.rules`` can
compare them directly.

A paper is either fixed (``question_ids``) or a rule set (``exam_paper_rule`` rows: per
category and kind how many questions and their points). The exam engine
(``core.training.exam_*``) draws one paper per attempt (``exam_attempt``) and stores it as
``attempt_item`` rows, each with the option order shown, so a reload shows the same paper.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"
    FILL_IN = "fill_in"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class PartialCredit(StrEnum):
    """How a multiple-choice answer that is not exactly the key scores (declared per paper)."""

    NONE = "none"  # all or nothing
    PROPORTIONAL = "proportional"  # right picks minus wrong picks, over the key's size
    HALF_IF_SUBSET = "half_if_subset"  # half the points for a correct but incomplete pick


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # short answers still wait for a grader
    GRADED = "graded"


class Question(Record, table=True):
    """A bank question; the shipped ones come from ``data/reference/training/questions.json``."""

    __tablename__ = "question"

    code: str = Field(max_length=20, unique=True, index=True)
    kind: QuestionKind = Field(default=QuestionKind.SINGLE, index=True)
    stem: str = Field(max_length=1000)
    options: list[str] = Field(default_factory=list, sa_type=JSON)
    answer: str = Field(max_length=1000)
    analysis: str | None = Field(default=None, max_length=1000)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    difficulty: Difficulty = Field(default=Difficulty.MEDIUM, index=True)
    category: str | None = Field(default=None, max_length=50, index=True)


class ExamPaper(EnterpriseScoped, table=True):
    __tablename__ = "exam_paper"

    name: str = Field(max_length=100, index=True)
    course_id: int | None = Field(default=None, foreign_key="training_course.id", index=True)
    question_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    duration_minutes: int = Field(default=60, ge=1, le=600)
    total_score: float = Field(default=100, gt=0)
    pass_score: float = Field(default=60, ge=0)
    shuffle_questions: bool = Field(default=True)
    shuffle_options: bool = Field(default=True)
    attempts_allowed: int = Field(default=1, ge=1, le=100)
    grace_seconds: int = Field(default=60, ge=0, le=3600)
    show_answers_after_submit: bool = Field(default=False)
    partial_credit: PartialCredit = Field(default=PartialCredit.NONE)
    certificate_months: int | None = Field(default=None, ge=1, le=240)
    contractor_entry: bool = Field(default=False, index=True)


class ExamPaperRule(Record, table=True):
    """One line of a rule-set paper: ``count`` questions of ``kind`` in ``category`` (a
    question's category or one of its tags; None: any), ``points_each`` each."""

    __tablename__ = "exam_paper_rule"

    paper_id: int = Field(foreign_key="exam_paper.id", index=True)
    position: int = Field(default=1, ge=1)
    category: str | None = Field(default=None, max_length=50)
    kind: QuestionKind = Field(default=QuestionKind.SINGLE, index=True)
    count: int = Field(default=1, ge=1, le=500)
    points_each: float = Field(default=1, gt=0)


class ExamRecord(EnterpriseScoped, table=True):
    __tablename__ = "exam_record"

    exam_no: str = Field(max_length=30, index=True)
    paper_id: int = Field(foreign_key="exam_paper.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    attempt: int = Field(default=1, ge=1)
    started_at: datetime = Field(index=True)
    submitted_at: datetime | None = Field(default=None)
    score: float = Field(default=0, ge=0)
    passed: bool = Field(default=False, index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    offline: bool = Field(default=False, index=True)


class ExamAttempt(EnterpriseScoped, table=True):
    """One person's sitting of a paper; the deadline is held here, on the server."""

    __tablename__ = "exam_attempt"
    __table_args__ = (UniqueConstraint("paper_id", "person_id", "attempt_no"),)

    paper_id: int = Field(foreign_key="exam_paper.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    attempt_no: int = Field(default=1, ge=1)
    started_at: datetime = Field(index=True)
    deadline_at: datetime = Field(index=True)
    submitted_at: datetime | None = Field(default=None)
    auto_submitted: bool = Field(default=False)
    state: AttemptState = Field(default=AttemptState.IN_PROGRESS, index=True)
    score: float | None = Field(default=None)
    passed: bool | None = Field(default=None, index=True)
    exam_record_id: int | None = Field(default=None, foreign_key="exam_record.id")


class AttemptItem(Record, table=True):
    """One question of an attempt as shown: its place, the option permutation (shown option
    i is stored option ``option_order[i]``), the answer in shown letters, and its marks."""

    __tablename__ = "attempt_item"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    attempt_id: int = Field(foreign_key="exam_attempt.id", index=True)
    position: int = Field(ge=1)
    question_id: int = Field(foreign_key="question.id", index=True)
    option_order: list[int] = Field(default_factory=list, sa_type=JSON)
    answer_given: str | None = Field(default=None, max_length=2000)
    saved_at: datetime | None = Field(default=None)
    points: float = Field(default=1, gt=0)
    awarded: float | None = Field(default=None, ge=0)
    graded_by: int | None = Field(default=None)
    graded_at: datetime | None = Field(default=None)
    final: bool = Field(default=False)
