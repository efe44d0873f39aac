"""Compliance (合规): the regulation and standard library with clauses mapped to modules, and
the enterprise knowledge base (searched in Chinese with LIKE over title and body)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, Text
from sqlmodel import Field

from models.base import EnterpriseScoped, Record
from models.enums import DocumentState


class RegulationLevel(StrEnum):
    """效力层级, from the law down to the enterprise's own rules."""

    LAW = "law"
    REGULATION = "regulation"
    RULE = "rule"
    NATIONAL_STANDARD = "national_standard"
    INDUSTRY_STANDARD = "industry_standard"
    LOCAL = "local"
    ENTERPRISE = "enterprise"


class RegulationStatus(StrEnum):
    EFFECTIVE = "effective"
    REVISED = "revised"
    REPEALED = "repealed"


class KbCategory(StrEnum):
    PROCEDURE = "procedure"
    INTERPRETATION = "interpretation"
    CASE = "case"
    LESSON = "lesson"
    TECHNICAL = "technical"
    FAQ = "faq"


class Regulation(Record, table=True):
    """Reference: a law, regulation or standard (the library is shared by the park)."""

    __tablename__ = "regulation"

    code: str = Field(max_length=30, unique=True, index=True)
    title: str = Field(max_length=120, index=True)
    doc_no: str | None = Field(default=None, max_length=80, description="文号 / 标准号")
    level: RegulationLevel = Field(default=RegulationLevel.NATIONAL_STANDARD, index=True)
    issuing_body: str | None = Field(default=None, max_length=100)
    effective_on: date | None = Field(default=None, index=True)
    status: RegulationStatus = Field(default=RegulationStatus.EFFECTIVE, index=True)
    replaced_by: str | None = Field(default=None, max_length=120)
    summary: str | None = Field(default=None, max_length=1000)


class RegulationClause(Record, table=True):
    """One clause, mapped to the module that carries it out.

    ``regulation_code`` lets the reference file name its regulation before ids exist; the
    insert hook in ``core.compliance.rules`` turns it into ``regulation_id``.
    """

    __tablename__ = "regulation_clause"

    code: str = Field(max_length=40, unique=True, index=True)
    regulation_id: int | None = Field(default=None, foreign_key="regulation.id", index=True)
    regulation_code: str | None = Field(default=None, max_length=30, index=True)
    clause_no: str = Field(max_length=30)
    text: str = Field(max_length=2000, sa_type=Text)
    module: str | None = Field(default=None, max_length=20, index=True)


class KbDocument(EnterpriseScoped, table=True):
    """Knowledge base article: procedures, interpretations, incident lessons; published to its
    audience, drafts seen by editors only."""

    __tablename__ = "kb_document"

    title: str = Field(max_length=150, index=True)
    category: KbCategory = Field(default=KbCategory.PROCEDURE, index=True)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    body: str = Field(default="", sa_type=Text)
    regulation_id: int | None = Field(default=None, foreign_key="regulation.id", index=True)
    source_incident: str | None = Field(default=None, max_length=120, description="来源事故")
    published_on: date | None = Field(default=None, index=True)
    state: DocumentState = Field(default=DocumentState.DRAFT, index=True)
