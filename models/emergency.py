"""Emergency management (应急管理): plans with their versions, response teams, response
checklists by accident type and external contacts.

Supplies and drills live in ``models/emergency_supply.py`` and ``models/emergency_drill.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped
from models.enums import DocumentState


class EmergencyPlanKind(StrEnum):
    """The three plan layers of GB/T 29639: comprehensive, special, on-site disposal."""

    COMPREHENSIVE = "comprehensive"
    SPECIAL = "special"
    ON_SITE = "on_site"


class EmergencyPlanState(StrEnum):
    """Drafted, reviewed, approved by the principal, published to its audience, and finally
    superseded by its revision (《生产安全事故应急预案管理办法》: 评审 → 签署公布 → 修订)."""

    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class EmergencyTeamKind(StrEnum):
    LEADERSHIP = "leadership"
    RESCUE = "rescue"
    FIREFIGHTING = "firefighting"
    MEDICAL = "medical"
    EVACUATION = "evacuation"
    COMMUNICATION = "communication"
    LOGISTICS = "logistics"


class ExternalContactKind(StrEnum):
    FIRE = "fire"
    AMBULANCE = "ambulance"
    POLICE = "police"
    AUTHORITY = "authority"
    HOSPITAL = "hospital"
    ENVIRONMENT = "environment"
    UTILITY = "utility"
    OTHER = "other"


class EmergencyPlan(EnterpriseScoped, table=True):
    """``version`` is the approved version in force (none before the first approval);
    ``replaces_id`` names the plan a revision supersedes once it is published."""

    __tablename__ = "emergency_plan"

    name: str = Field(max_length=120, index=True)
    code: str | None = Field(default=None, max_length=40)
    kind: EmergencyPlanKind = Field(default=EmergencyPlanKind.SPECIAL, index=True)
    accident_type_id: int | None = Field(default=None, foreign_key="accident_type.id", index=True)
    version: str | None = Field(default=None, max_length=20)
    replaces_id: int | None = Field(default=None, foreign_key="emergency_plan.id", index=True)
    effective_on: date | None = Field(default=None, index=True)
    review_due: date | None = Field(default=None, index=True)
    next_drill_due: date | None = Field(default=None, index=True, description="下次演练期限")
    filed_with: str | None = Field(default=None, max_length=100, description="备案部门")
    state: EmergencyPlanState = Field(default=EmergencyPlanState.DRAFT, index=True)


class EmergencyPlanVersion(EnterpriseScoped, table=True):
    """One approved version of a plan, written by the plan's approval step."""

    __tablename__ = "emergency_plan_version"

    plan_id: int = Field(foreign_key="emergency_plan.id", index=True)
    version: str = Field(max_length=20)
    change_summary: str | None = Field(default=None, max_length=1000)
    approved_by: str | None = Field(default=None, max_length=50)
    approved_at: datetime | None = Field(default=None, index=True)


class EmergencyTeam(EnterpriseScoped, table=True):
    __tablename__ = "emergency_team"

    name: str = Field(max_length=100, index=True)
    kind: EmergencyTeamKind = Field(default=EmergencyTeamKind.RESCUE, index=True)
    leader: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=30)
    duties: str | None = Field(default=None, max_length=1000)


class EmergencyTeamMember(EnterpriseScoped, table=True):
    __tablename__ = "emergency_team_member"

    team_id: int = Field(foreign_key="emergency_team.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    duty: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=30)


class ResponseChecklist(EnterpriseScoped, table=True):
    """Step-by-step response by accident type; ``steps`` is ``[{order, action, role}]``."""

    __tablename__ = "response_checklist"

    name: str = Field(max_length=120, index=True)
    accident_type_id: int | None = Field(default=None, foreign_key="accident_type.id", index=True)
    steps: list[Any] = Field(default_factory=list, sa_type=JSON)
    notes: str | None = Field(default=None, max_length=1000)
    state: DocumentState = Field(default=DocumentState.DRAFT, index=True)


class ExternalContact(EnterpriseScoped, table=True):
    __tablename__ = "external_contact"

    name: str = Field(max_length=100, index=True)
    kind: ExternalContactKind = Field(default=ExternalContactKind.OTHER, index=True)
    phone: str = Field(max_length=30)
    address: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=300)
    state: DocumentState = Field(default=DocumentState.DRAFT, index=True)
