"""Personal protective equipment (劳动防护用品): catalogue, standard issue per post
(GB 39800.1 配备), and issue records with the next replacement date."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class PpeCategory(StrEnum):
    HEAD = "head"
    EYE_FACE = "eye_face"
    HEARING = "hearing"
    RESPIRATORY = "respiratory"
    HAND = "hand"
    BODY = "body"
    FOOT = "foot"
    FALL_ARREST = "fall_arrest"


class PpeItem(Record, table=True):
    """Reference: one kind of PPE with its product standard and replacement cycle."""

    __tablename__ = "ppe_item"

    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=60, index=True)
    name_en: str | None = Field(default=None, max_length=80)
    category: PpeCategory = Field(default=PpeCategory.BODY, index=True)
    standard_no: str | None = Field(default=None, max_length=60, description="e.g. GB 2811-2019")
    replacement_months: int = Field(default=12, ge=1, le=120)
    unit: str = Field(default="件", max_length=10)


class PpeStandard(EnterpriseScoped, table=True):
    """What a post is entitled to: item, quantity per cycle (劳动防护用品配备标准)."""

    __tablename__ = "ppe_standard"

    post_id: int = Field(foreign_key="post.id", index=True)
    ppe_item_id: int = Field(foreign_key="ppe_item.id", index=True)
    quantity: int = Field(default=1, ge=1)
    cycle_months: int | None = Field(default=None, ge=1, le=120)
    note: str | None = Field(default=None, max_length=200)


class PpeIssue(EnterpriseScoped, table=True):
    """One hand-out of PPE to one person; ``next_due`` comes from the cycle."""

    __tablename__ = "ppe_issue"

    person_id: int = Field(foreign_key="person.id", index=True)
    ppe_item_id: int = Field(foreign_key="ppe_item.id", index=True)
    quantity: int = Field(default=1, ge=1)
    issue_date: date = Field(index=True)
    next_due: date | None = Field(default=None, index=True)
    signed: bool = Field(default=False, index=True, description="领用人已签收")
