"""Who may do what, and on which rows.

Permissions are (module, action) pairs granted to roles in the ``role_permission`` table
(defaults in ``data/rbac.json``). Data scope narrows every query and write to the rows a user
may reach: own, department, enterprise, park or all. Both are enforced here, in the data layer,
so a page that forgets to hide a button still cannot leak or change a row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, delete, select

from core.config import REPO_ROOT
from core.i18n import Translatable
from models.accounts import RolePermission, User
from models.enums import Action, Module, Role, Scope
from models.org import Enterprise

RBAC_FILE = REPO_ROOT / "data" / "rbac.json"
SCOPE_ORDER: tuple[Scope, ...] = (Scope.OWN, Scope.DEPARTMENT, Scope.ENTERPRISE, Scope.PARK)


class PermissionDenied(Translatable):
    """Raised by the data layer; the UI shows its message in the user's language."""


@dataclass(frozen=True)
class Actor:
    """The user behind a call, with everything the data layer needs to decide."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    scope: Scope
    park_id: int | None = None
    enterprise_id: int | None = None
    department_id: int | None = None
    person_id: int | None = None
    language: str = "zh-CN"
    grants: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def can(self, module: str, action: str) -> bool:
        return self.is_admin or (str(module), str(action)) in self.grants

    def require(self, module: str, action: str) -> None:
        if not self.can(module, action):
            raise PermissionDenied(
                "error.permission_denied",
                module=f"module.{module}",
                action=f"action.{action}",
            )


SYSTEM = Actor(user_id=None, username="system", roles=frozenset({Role.ADMIN}), scope=Scope.ALL)


def default_matrix() -> dict[str, Any]:
    return json.loads(RBAC_FILE.read_text(encoding="utf-8"))["roles"]


def default_scope(role: str) -> Scope:
    return Scope(default_matrix()[role]["scope"])


def seed_permissions(session: Session, *, replace: bool = False) -> int:
    """Load the default matrix; keeps an edited one unless ``replace``. Returns rows written."""
    if not replace and session.exec(select(RolePermission.id).limit(1)).first():
        return 0
    session.exec(delete(RolePermission))
    rows = []
    for role, spec in default_matrix().items():
        for module, actions in spec["grants"].items():
            modules = [m.value for m in Module] if module == "*" else [module]
            rows += [
                RolePermission(role=role, module=m, action=a) for m in modules for a in actions
            ]
    session.add_all(rows)
    return len(rows)


def grants_for(session: Session, roles: frozenset[str]) -> frozenset[tuple[str, str]]:
    stmt = select(RolePermission.module, RolePermission.action).where(
        RolePermission.role.in_(sorted(roles))
    )
    return frozenset((m, a) for m, a in session.execute(stmt).all())


def actor_for(session: Session, user: User) -> Actor:
    roles = frozenset(user.roles)
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=roles,
        scope=Scope(user.scope),
        park_id=user.park_id,
        enterprise_id=user.enterprise_id,
        department_id=user.department_id,
        person_id=user.person_id,
        language=user.language,
        grants=grants_for(session, roles),
    )


def set_grant(
    session: Session, actor: Actor, role: str, module: str, action: str, on: bool
) -> None:
    """Edit the matrix (admin only). The admin role's own grants are fixed."""
    actor.require(Module.SYSTEM, Action.CONFIGURE)
    if role == Role.ADMIN:
        raise PermissionDenied("error.admin_grants_fixed")
    existing = session.exec(
        select(RolePermission).where(
            RolePermission.role == role,
            RolePermission.module == module,
            RolePermission.action == action,
        )
    ).first()
    if on and existing is None:
        session.add(RolePermission(role=role, module=module, action=action))
    elif not on and existing is not None:
        session.delete(existing)


@dataclass(frozen=True)
class ScopeColumns:
    """Which column of a table answers each scope level (None: the table has none).

    ``assigned`` names a person column (a hazard's owner): own-scope users also reach the
    rows assigned to them, or a worker could never rectify a hazard somebody else reported.
    """

    own: str | None = "created_by"
    department: str | None = "department_id"
    enterprise: str | None = "enterprise_id"
    park: str | None = None
    assigned: str | None = None


# Reference lists and libraries: one copy for everyone who may view the module.
REFERENCE_SCOPE = ScopeColumns(own=None, department=None, enterprise=None)


def _level_column(cols: ScopeColumns, level: Scope) -> str | None:
    return getattr(cols, level.value)


def effective_level(actor: Actor, cols: ScopeColumns) -> Scope:
    """The actor's level, widened to the nearest level the table can express.

    A department-scoped user reading the enterprise table, which has no department column,
    is judged by the enterprise column: they see their own enterprise and nothing else.
    """
    if actor.scope == Scope.ALL:
        return Scope.ALL
    start = SCOPE_ORDER.index(actor.scope)
    for level in SCOPE_ORDER[start:]:
        if level == Scope.PARK and (cols.park or cols.enterprise):
            return level
        if _level_column(cols, level):
            return level
    return Scope.ALL


def scope_clause(model: type, cols: ScopeColumns, actor: Actor) -> ColumnElement[bool] | None:
    """WHERE clause limiting ``model`` to the actor's rows; None means no limit."""
    level = effective_level(actor, cols)
    if level == Scope.ALL:
        return None
    if level == Scope.PARK:
        if actor.park_id is None:
            return false()
        if cols.park:
            return getattr(model, cols.park) == actor.park_id
        in_park = select(Enterprise.id).where(Enterprise.park_id == actor.park_id)
        return getattr(model, cols.enterprise).in_(in_park)
    value = {
        Scope.OWN: actor.user_id,
        Scope.DEPARTMENT: actor.department_id,
        Scope.ENTERPRISE: actor.enterprise_id,
    }[level]
    clause = false() if value is None else getattr(model, _level_column(cols, level)) == value
    if level == Scope.OWN and cols.assigned and actor.person_id is not None:
        clause = or_(clause, getattr(model, cols.assigned) == actor.person_id)
    return clause


def values_in_scope(
    session: Session, cols: ScopeColumns, actor: Actor, values: dict[str, Any]
) -> bool:
    """Would a row with these scope values be visible to the actor? Used before every write."""
    level = effective_level(actor, cols)
    if level == Scope.ALL:
        return True
    if level == Scope.PARK:
        if cols.park:
            return actor.park_id is not None and values.get(cols.park) == actor.park_id
        enterprise = session.get(Enterprise, values.get(cols.enterprise) or -1)
        return actor.park_id is not None and getattr(enterprise, "park_id", None) == actor.park_id
    expected = {
        Scope.OWN: actor.user_id,
        Scope.DEPARTMENT: actor.department_id,
        Scope.ENTERPRISE: actor.enterprise_id,
    }[level]
    assigned = cols.assigned and actor.person_id is not None
    if level == Scope.OWN and assigned and values.get(cols.assigned) == actor.person_id:
        return True
    return expected is not None and values.get(_level_column(cols, level)) == expected
