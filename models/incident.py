"""Incidents (事故事件): accidents, minor-injury events and near misses, graded by the State
Council Order 493 thresholds, with investigation, causes and corrective actions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class IncidentKind(StrEnum):
    """The three tiers of the Heinrich pyramid (serious : minor : no injury)."""

    ACCIDENT = "accident"
    MINOR = "minor"
    NEAR_MISS = "near_miss"


class IncidentState(StrEnum):
    REPORTED = "reported"
    INVESTIGATING = "investigating"
    ACTIONS = "actions"
    CLOSED = "closed"


class IncidentCauseCategory(StrEnum):
    """人 / 机 / 料 / 法 / 环 / 管: the fishbone's six bones."""

    PERSON = "person"
    MACHINE = "machine"
    MATERIAL = "material"
    METHOD = "method"
    ENVIRONMENT = "environment"
    MANAGEMENT = "management"


class AccidentGrade(Record, table=True):
    """One grade of art. 3 with the lower bound of each criterion ("以上" includes it)."""

    __tablename__ = "accident_grade"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=20, index=True)
    name_en: str = Field(max_length=40)
    rank: int = Field(default=1, ge=1, description="higher is graver")
    min_deaths: int | None = Field(default=None, ge=0)
    min_serious_injuries: int | None = Field(default=None, ge=0)
    min_direct_loss: float | None = Field(default=None, ge=0, description="RMB yuan")


class Incident(EnterpriseScoped, table=True):
    __tablename__ = "incident"

    number: str = Field(max_length=30, unique=True, index=True)
    title: str = Field(max_length=120, index=True)
    kind: IncidentKind = Field(default=IncidentKind.NEAR_MISS, index=True)
    occurred_at: datetime = Field(index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    accident_type_id: int | None = Field(default=None, foreign_key="accident_type.id", index=True)
    deaths: int = Field(default=0, ge=0)
    serious_injuries: int = Field(default=0, ge=0)
    minor_injuries: int = Field(default=0, ge=0)
    direct_loss: float = Field(default=0, ge=0, description="RMB yuan")
    grade_id: int | None = Field(default=None, foreign_key="accident_grade.id", index=True)
    anonymous: bool = Field(default=False, index=True)
    reporter: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    immediate_measures: str | None = Field(default=None, max_length=2000)
    lessons: str | None = Field(default=None, max_length=2000)
    state: IncidentState = Field(default=IncidentState.REPORTED, index=True)


class IncidentInvestigation(EnterpriseScoped, table=True):
    """Timeline ``[{at, event}]``, 5-Why ``[{why, answer}]``, fishbone ``{category: [text]}``."""

    __tablename__ = "incident_investigation"

    incident_id: int = Field(foreign_key="incident.id", index=True)
    leader: str | None = Field(default=None, max_length=50)
    started_on: date | None = Field(default=None)
    finished_on: date | None = Field(default=None, index=True)
    timeline: list[Any] = Field(default_factory=list, sa_type=JSON)
    direct_cause: str = Field(max_length=1000)
    indirect_cause: str | None = Field(default=None, max_length=1000)
    five_whys: list[Any] = Field(default_factory=list, sa_type=JSON)
    fishbone: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    barrier_analysis: str | None = Field(default=None, max_length=2000)
    conclusion: str | None = Field(default=None, max_length=2000)


class IncidentCause(EnterpriseScoped, table=True):
    __tablename__ = "incident_cause"

    incident_id: int = Field(foreign_key="incident.id", index=True)
    category: IncidentCauseCategory = Field(index=True)
    text: str = Field(max_length=300)
    root: bool = Field(default=False, description="根本原因")
