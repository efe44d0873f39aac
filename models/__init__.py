"""All tables, imported once so SQLModel.metadata (and Alembic) sees every one.

Every module in this package is imported, except the CRUD declarations (``*tables.py``),
which the registry loads on demand: a new module's tables need no edit here.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.endswith("tables"):
        importlib.import_module(f"{__name__}.{_info.name}")

from models.accounts import RolePermission, User  # noqa: E402
from models.org import Area, Certificate, Department, Enterprise, Park, Person, Post  # noqa: E402
from models.system import Attachment, AuditEntry, AuditHead, CustomField  # noqa: E402

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
