"""CRUD declarations for the shared reference lists."""

from __future__ import annotations

from core.crud.fields import TEXTAREA, fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE
from models.enums import Module
from models.reference import AccidentType

ACCIDENT_TYPE = register(
    TableSpec(
        name="accident_type",
        model=AccidentType,
        module=Module.INCIDENT,
        page="pages/ref_accident_type.py",
        nav_group="nav.reference",
        fields=fields(
            AccidentType,
            "code",
            "name",
            "name_en",
            "description",
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "T{n}"},
    )
)
