"""CRUD declarations of the platform's own tables: user accounts and admin-defined fields."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.auth import end_sessions_if_access_changes
from core.config import EMAIL
from core.crud.fields import CHOICE, MULTICHOICE, TAGS, fields, infer
from core.crud.registry import TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor, ScopeColumns
from models.accounts import User
from models.enums import FieldKind, Module, Role
from models.system import CustomField

#: The tables an admin may add fields to.
CUSTOMISABLE = ("park", "enterprise", "department", "area", "post", "person", "certificate")


def _custom_field_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    code = values.get("code") or ""
    if not code.isidentifier() or not code.isascii():
        raise ValidationFailed([Problem("code", "validation.bad_code", {})])
    if values.get("kind") == FieldKind.CHOICE and not values.get("choices"):
        raise ValidationFailed([Problem("choices", "validation.choices_needed", {})])


def _user_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """An admin typing a user's address gets the account page's check: reminders go there."""
    address = (values.get("email") or "").strip()
    if address and not EMAIL.fullmatch(address):
        raise ValidationFailed([Problem("email", "delivery.bad_email", {"address": address})])
    values["email"] = address or None
    end_sessions_if_access_changes(session, values.get("id"), values)


def _user_deleted(session: Session, row: Any, actor: Actor, on: bool) -> None:
    if on:
        end_sessions_if_access_changes(session, row.id, {"deleted_at": True})


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
                "email",
                "active",
                "language",
                "last_login_at",
                scope={"filter": True},
                enterprise_id={"filter": True},
                department_id={"filter": True},
                active={"filter": True},
                person_id={"in_list": False},
                email={"in_list": False},
                language={
                    "kind": "choice",
                    "choices": ("zh-CN", "en"),
                    "choice_prefix": "language",
                },
                last_login_at={"in_form": False, "in_io": False},
            ),
        ),
        search=("username", "display_name"),
        title_field="display_name",
        default_sort=("username", False),
        allow_create=False,
        scope=ScopeColumns(own="id"),
        before_save=_user_rules,
        before_delete=_user_deleted,
        example={"email": "user{n}@example.com"},
        secret=("password_hash", "failed_logins", "locked_until", "must_change_password"),
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
