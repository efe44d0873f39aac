"""All tables, imported once so SQLModel.metadata (and Alembic) sees every one.

This package holds SQLModel tables and their enums only; the rules, declarations and queries
of each module live in its domain package under ``core/`` (``core.installed``). A new table
module is one more line below.
"""

from models import (  # noqa: F401  (each import registers its tables)
    accounts,
    analytics,
    audience,
    base,
    compliance,
    compliance_assessment,
    contractor,
    duty,
    emergency,
    emergency_drill,
    emergency_supply,
    enums,
    hazard,
    health,
    health_ppe,
    incident,
    incident_action,
    notification,
    numbering,
    org,
    permit,
    permit_reference,
    reference,
    risk,
    risk_inspection,
    risk_register,
    system,
    training,
    training_exam,
    training_learning,
    video,
    workflow,
)
from models.accounts import RolePermission, User
from models.org import Area, Certificate, Department, Enterprise, Park, Person, Post
from models.system import Attachment, AuditEntry, AuditHead, CustomField

__all__ = [
    "Area",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "Certificate",
    "CustomField",
    "Department",
    "Enterprise",
    "Park",
    "Person",
    "Post",
    "RolePermission",
    "User",
]
