"""CRUD declarations for the organisation and system tables.

A new module adds its own file like this one and imports it from ``_load_declarations``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.crud.fields import CHOICE, MULTICHOICE, TAGS, TEXTAREA, fields, infer
from core.crud.registry import TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor, ScopeColumns
from models.accounts import User
from models.enums import FieldKind, Module, Role
from models.org import Area, Certificate, Department, Enterprise, Park, Person, Post
from models.system import CustomField

# Areas and posts: nobody "owns" them; narrower users see their department's.
SHARED_ORG_SCOPE = ScopeColumns(own=None)
CUSTOMISABLE = ("park", "enterprise", "department", "area", "post", "person", "certificate")


def _person_scope(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A certificate lives where its holder works, so scope follows the person."""
    person = session.get(Person, values.get("person_id") or -1)
    if person is not None:
        values["enterprise_id"] = person.enterprise_id
        values["department_id"] = person.department_id


def _custom_field_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    code = values.get("code") or ""
    if not code.isidentifier() or not code.isascii():
        raise ValidationFailed([Problem("code", "validation.bad_code", {})])
    if values.get("kind") == FieldKind.CHOICE and not values.get("choices"):
        raise ValidationFailed([Problem("choices", "validation.choices_needed", {})])


PARK = register(
    TableSpec(
        name="park",
        page="pages/org_park.py",
        model=Park,
        module=Module.ORG,
        fields=fields(Park, "name", "code", "region", "address", "contact", "phone"),
        search=("name", "code", "region"),
        default_sort=("name", False),
        scope=ScopeColumns(own=None, department=None, enterprise=None, park="id"),
    )
)

ENTERPRISE = register(
    TableSpec(
        name="enterprise",
        page="pages/org_enterprise.py",
        model=Enterprise,
        module=Module.ORG,
        fields=fields(
            Enterprise,
            "name",
            "code",
            "park_id",
            "industry",
            "risk_level",
            "legal_representative",
            "safety_head",
            "phone",
            "address",
            "employees",
            "longitude",
            "latitude",
            "plan_width",
            "plan_height",
            industry={"filter": True},
            risk_level={"filter": True},
            park_id={"filter": True},
            longitude={"in_list": False},
            latitude={"in_list": False},
            plan_width={"in_list": False},
            plan_height={"in_list": False},
        ),
        search=("name", "code", "legal_representative"),
        default_sort=("name", False),
        scope=ScopeColumns(own=None, department=None, enterprise="id", park="park_id"),
    )
)

DEPARTMENT = register(
    TableSpec(
        name="department",
        page="pages/org_department.py",
        model=Department,
        module=Module.ORG,
        fields=fields(
            Department,
            "name",
            "code",
            "enterprise_id",
            "parent_id",
            "kind",
            "head",
            "phone",
            enterprise_id={"filter": True},
            kind={"filter": True},
        ),
        search=("name", "code", "head"),
        default_sort=("name", False),
        scope=ScopeColumns(own=None, department="id"),
    )
)

AREA = register(
    TableSpec(
        name="area",
        page="pages/org_area.py",
        model=Area,
        module=Module.ORG,
        fields=fields(
            Area,
            "name",
            "code",
            "enterprise_id",
            "department_id",
            "kind",
            "risk_level",
            "polygon",
            enterprise_id={"filter": True},
            department_id={"filter": True},
            kind={"filter": True},
            risk_level={"filter": True},
            polygon={"in_list": False},
        ),
        search=("name", "code"),
        default_sort=("name", False),
        scope=SHARED_ORG_SCOPE,
    )
)

POST = register(
    TableSpec(
        name="post",
        page="pages/org_post.py",
        model=Post,
        module=Module.ORG,
        fields=fields(
            Post,
            "name",
            "code",
            "enterprise_id",
            "department_id",
            "special_operation",
            "description",
            enterprise_id={"filter": True},
            department_id={"filter": True},
            special_operation={"filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "code"),
        default_sort=("name", False),
        scope=SHARED_ORG_SCOPE,
    )
)

PERSON = register(
    TableSpec(
        name="person",
        page="pages/org_person.py",
        model=Person,
        module=Module.ORG,
        fields=fields(
            Person,
            "name",
            "employee_no",
            "enterprise_id",
            "department_id",
            "post_id",
            "gender",
            "phone",
            "hired_on",
            "status",
            enterprise_id={"filter": True},
            department_id={"filter": True},
            status={"filter": True},
            hired_on={"filter": True},
        ),
        search=("name", "employee_no", "phone"),
        default_sort=("name", False),
    )
)

CERTIFICATE = register(
    TableSpec(
        name="certificate",
        page="pages/org_certificate.py",
        model=Certificate,
        module=Module.ORG,
        fields=fields(
            Certificate,
            "number",
            "person_id",
            "kind",
            "work_type",
            "issuer",
            "issued_on",
            "expires_on",
            "enterprise_id",
            "department_id",
            kind={"filter": True},
            expires_on={"filter": True},
            enterprise_id={"in_form": False, "in_io": False, "filter": True},
            department_id={"in_form": False, "in_io": False, "filter": True},
        ),
        search=("number", "work_type", "issuer"),
        title_field="number",
        default_sort=("expires_on", False),
        before_save=_person_scope,
    )
)

USER = register(
    TableSpec(
        name="user",
        model=User,
        module=Module.USERS,
        fields=(
            *fields(User, "username", "display_name", username={"unique": True}),
            infer(
                User,
                "roles",
                kind=MULTICHOICE,
                choices=tuple(r.value for r in Role),
                choice_prefix="enum.Role",
                required=True,
            ),
            *fields(
                User,
                "scope",
                "park_id",
                "enterprise_id",
                "department_id",
                "person_id",
                "active",
                "language",
                "locked_until",
                "last_login_at",
                scope={"filter": True},
                enterprise_id={"filter": True},
                department_id={"filter": True},
                active={"filter": True},
                person_id={"in_list": False},
                language={
                    "kind": "choice",
                    "choices": ("zh-CN", "en"),
                    "choice_prefix": "language",
                },
                locked_until={"in_form": False, "in_io": False},
                last_login_at={"in_form": False, "in_io": False},
            ),
        ),
        search=("username", "display_name"),
        title_field="display_name",
        default_sort=("username", False),
        allow_create=False,
        scope=ScopeColumns(own="id"),
    )
)

CUSTOM_FIELD = register(
    TableSpec(
        name="custom_field",
        model=CustomField,
        module=Module.SYSTEM,
        fields=fields(
            CustomField,
            "table_name",
            "code",
            "label_zh",
            "label_en",
            "kind",
            "choices",
            "required",
            "position",
            table_name={
                "filter": True,
                "kind": CHOICE,
                "choices": CUSTOMISABLE,
                "choice_prefix": "table",
            },
            kind={"filter": True},
            choices={"kind": TAGS},
        ),
        search=("code", "label_zh", "label_en"),
        title_field="code",
        default_sort=("table_name", False),
        before_save=_custom_field_rules,
        scope=ScopeColumns(own=None, department=None, enterprise=None),
        allow_custom_fields=False,
        example={"code": "field_{n}", "kind": "text"},
    )
)
