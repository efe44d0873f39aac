"""Closed vocabularies shared by several modules; labels live in the i18n catalogue as
``enum.<EnumClass>.<value>`` so both languages stay complete."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SAFETY_HEAD = "safety_head"
    SAFETY_MANAGER = "safety_manager"
    DEPT_HEAD = "dept_head"
    INSPECTOR = "inspector"
    EMPLOYEE = "employee"
    CONTRACTOR = "contractor"
    PARK_SUPERVISOR = "park_supervisor"
    DISPLAY = "display"


class Scope(StrEnum):
    """How far a user's reads and writes reach, narrowest first."""

    OWN = "own"
    DEPARTMENT = "department"
    ENTERPRISE = "enterprise"
    PARK = "park"
    ALL = "all"


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    APPROVE = "approve"
    EXPORT = "export"
    CONFIGURE = "configure"
    DISPLAY = "display"  # a module's figures on the wall screen, without its registers


class Module(StrEnum):
    """Permission modules: the organisation and system ones now, safety modules as they land."""

    ORG = "org"
    USERS = "users"
    AUDIT = "audit"
    SYSTEM = "system"
    RISK = "risk"
    HAZARD = "hazard"
    PERMIT = "permit"
    CONTRACTOR = "contractor"
    TRAINING = "training"
    EMERGENCY = "emergency"
    INCIDENT = "incident"
    HEALTH = "health"
    COMPLIANCE = "compliance"
    DUTY = "duty"
    VIDEO = "video"
    ANALYTICS = "analytics"


class RiskLevel(StrEnum):
    """The four levels of GB/T 33000 practice, with their map colours."""

    MAJOR = "major"
    SIGNIFICANT = "significant"
    GENERAL = "general"
    LOW = "low"


RISK_COLOURS: dict[RiskLevel, str] = {
    RiskLevel.MAJOR: "#d62728",
    RiskLevel.SIGNIFICANT: "#ff7f0e",
    RiskLevel.GENERAL: "#f2c500",
    RiskLevel.LOW: "#1f77b4",
}


class Industry(StrEnum):
    MACHINERY = "machinery"
    CHEMICAL = "chemical"
    METALLURGY = "metallurgy"
    CONSTRUCTION = "construction"
    LIGHT = "light"
    LOGISTICS = "logistics"
    OTHER = "other"


class DepartmentKind(StrEnum):
    DEPARTMENT = "department"
    WORKSHOP = "workshop"
    TEAM = "team"


class AreaKind(StrEnum):
    PRODUCTION = "production"
    STORAGE = "storage"
    OFFICE = "office"
    UTILITY = "utility"
    OUTDOOR = "outdoor"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class PersonStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class CertificateKind(StrEnum):
    SPECIAL_OPERATION = "special_operation"
    SPECIAL_EQUIPMENT = "special_equipment"
    SAFETY_MANAGER = "safety_manager"
    PRINCIPAL = "principal"
    OTHER = "other"


class FieldKind(StrEnum):
    """Kinds an admin may give a custom field."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class DocumentState(StrEnum):
    """A published document's life: editors draft it, publishing shows it to its audience,
    withdrawing hides it again (kept for the record)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
