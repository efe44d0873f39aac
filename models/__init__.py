"""All tables, imported once so SQLModel.metadata (and Alembic) sees every one."""

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
