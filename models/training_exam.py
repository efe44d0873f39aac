"""Training exams: the question bank, papers, and the record of each attempt.

Questions keep their options as a JSON list and the answer as option letters (``"B"``,
``"ACD"``), ``"T"``/``"F"`` for true/false, or reference text for short answers, so the
auto-grader in ``core.training.rules`` can compare them directly.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


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
