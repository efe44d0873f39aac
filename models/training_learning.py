"""Training that reaches people: plan items and the assignments they create, course
materials and the study time the server counted, the wrong-answer book, practice answers and
the points ledger.

A plan item targets a group (a department, a post, a role, new hires, a contractor company,
or the whole enterprise) with one course; ``core.training.assignments`` turns it into one
``training_assignment`` per person, and again for each person who joins the group later.
An assignment is complete when its course is (materials studied and exam passed), which
also writes the person's ``training_record``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class PlanTarget(StrEnum):
    ENTERPRISE = "enterprise"
    DEPARTMENT = "department"
    POST = "post"
    ROLE = "role"
    NEW_HIRES = "new_hires"
    CONTRACTOR = "contractor"


class AssignmentState(StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WAIVED = "waived"


class AssignmentSource(StrEnum):
    PLAN = "plan"  # created when the plan was approved
    JOINER = "joiner"  # a person who joined a targeted group later
    MANUAL = "manual"


class MaterialKind(StrEnum):
    PDF = "pdf"
    VIDEO = "video"
    IMAGE = "image"
    TEXT = "text"


class PracticeMode(StrEnum):
    WRONG_BOOK = "wrong_book"
    CATEGORY = "category"
    RANDOM = "random"


class PointsReason(StrEnum):
    STUDY = "study"
    EXAM_PASSED = "exam_passed"
    PRACTICE = "practice"


class TrainingPlanItem(Record, table=True):
    """One line of a plan: a course for a group, due on a date or a number of days after
    the person is assigned (new joiners get the same number of days)."""

    __tablename__ = "training_plan_item"

    plan_id: int = Field(foreign_key="training_plan.id", index=True)
    position: int = Field(default=1, ge=1)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    target: PlanTarget = Field(default=PlanTarget.DEPARTMENT, index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    role: str | None = Field(default=None, max_length=30)
    contractor_id: int | None = Field(default=None, foreign_key="contractor.id", index=True)
    hired_within_days: int | None = Field(default=None, ge=1, le=3650)
    due_on: date | None = Field(default=None)
    due_days: int = Field(default=30, ge=1, le=3650)
    follow_joiners: bool = Field(default=True)


class TrainingAssignment(EnterpriseScoped, table=True):
    """One person's obligation to complete one course by a date."""

    __tablename__ = "training_assignment"
    __table_args__ = (UniqueConstraint("person_id", "course_id", "plan_item_id"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="training_plan.id", index=True)
    plan_item_id: int | None = Field(default=None, foreign_key="training_plan_item.id", index=True)
    source: AssignmentSource = Field(default=AssignmentSource.MANUAL, index=True)
    assigned_on: date = Field(index=True)
    due_on: date = Field(index=True)
    state: AssignmentState = Field(default=AssignmentState.ASSIGNED, index=True)
    completed_on: date | None = Field(default=None, index=True)
    record_id: int | None = Field(default=None, foreign_key="training_record.id")


class CourseMaterial(Record, table=True):
    """One piece of a course: a file (PDF, video, image: the row's attachments) or text,
    with the study time it asks for."""

    __tablename__ = "course_material"

    course_id: int = Field(foreign_key="training_course.id", index=True)
    position: int = Field(default=1, ge=1)
    title: str = Field(max_length=100)
    kind: MaterialKind = Field(default=MaterialKind.TEXT, index=True)
    body: str | None = Field(default=None, max_length=20000)
    min_minutes: int = Field(default=5, ge=0, le=600)


class StudyProgress(EnterpriseScoped, table=True):
    """Time one person spent on one material, counted by the server from the page's
    heartbeats (a reload or a second tab does not add or reset it)."""

    __tablename__ = "study_progress"
    __table_args__ = (UniqueConstraint("person_id", "material_id"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    course_id: int = Field(foreign_key="training_course.id", index=True)
    material_id: int = Field(foreign_key="course_material.id", index=True)
    seconds: int = Field(default=0, ge=0)
    last_beat_at: datetime | None = Field(default=None)
    completed_at: datetime | None = Field(default=None, index=True)


class WrongAnswer(EnterpriseScoped, table=True):
    """A question the person got wrong in an exam (错题本), until practice shows they
    know it."""

    __tablename__ = "wrong_answer"
    __table_args__ = (UniqueConstraint("person_id", "question_id"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    times_wrong: int = Field(default=1, ge=0)
    last_wrong_at: datetime = Field(index=True)
    last_given: str | None = Field(default=None, max_length=2000)
    attempt_id: int | None = Field(default=None, foreign_key="exam_attempt.id")
    right_in_practice: int = Field(default=0, ge=0)
    mastered_at: datetime | None = Field(default=None, index=True)


class PracticeAnswer(EnterpriseScoped, table=True):
    """One practice answer: graded at once, never an exam."""

    __tablename__ = "practice_answer"

    person_id: int = Field(foreign_key="person.id", index=True)
    question_id: int = Field(foreign_key="question.id", index=True)
    mode: PracticeMode = Field(default=PracticeMode.RANDOM, index=True)
    given: str | None = Field(default=None, max_length=2000)
    correct: bool = Field(default=False, index=True)
    answered_at: datetime = Field(index=True)


class PointsEntry(EnterpriseScoped, table=True):
    """One line of a person's points ledger; one per reason and source row, so a reload or
    a retry never pays twice."""

    __tablename__ = "points_entry"
    __table_args__ = (UniqueConstraint("person_id", "reason", "ref_table", "ref_id"),)

    person_id: int = Field(foreign_key="person.id", index=True)
    reason: PointsReason = Field(index=True)
    points: int = Field(default=0)
    ref_table: str = Field(max_length=40)
    ref_id: int = Field(default=0)
    earned_at: datetime = Field(index=True)
