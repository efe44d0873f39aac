"""CRUD declarations for the organisation (一园一档 / 一企一档): park, enterprises,
departments, areas, posts, people and their certificates."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.crud.fields import DERIVED, TEXTAREA, fields
from core.crud.registry import TableSpec, register
from core.rbac import Actor, ScopeColumns
from models.enums import Module
from models.org import Area, Certificate, Department, Enterprise, Park, Person, Post

# Areas and posts: nobody "owns" them; narrower users see their department's.
SHARED_ORG_SCOPE = ScopeColumns(own=None)


def _person_scope(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A certificate lives where its holder works, so scope follows the person."""
    person = session.get(Person, values.get("person_id") or -1)
    if person is not None:
        values["enterprise_id"] = person.enterprise_id
        values["department_id"] = person.department_id


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
        scope=ScopeColumns(about="id"),  # everyone reads their own person record
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
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("number", "work_type", "issuer"),
        title_field="number",
        default_sort=("expires_on", False),
        before_save=_person_scope,
        scope=ScopeColumns(about="person_id"),
    )
)
