"""Who may do what, and on which rows.

Permissions are (module, action) pairs granted to roles in the ``role_permission`` table
(defaults in ``data/rbac.json``). Data scope narrows every query and write to the rows a user
may reach: own, department, enterprise, park or all. Whatever the level, three relations widen
what a user reads, because they are what people mean by "mine": the rows *about* them (their
exam record, certificate, health exam), the rows *assigned* to them (a hazard to rectify in
another department) and the documents *published* for an audience they belong to. Both are
enforced here, in the data layer, so a page that forgets to hide a button still cannot leak
or change a row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from core.config import REPO_ROOT
from core.i18n import Translatable
from models.accounts import RolePermission, User
from models.audience import DocumentAudience
from models.enums import Action, Module, Role, Scope
from models.org import Enterprise, Person

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
    post_id: int | None = None
    language: str = "zh-CN"
    grants: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def screen_only(self) -> bool:
        """A wall screen's account (its only role is display), often logged in on a shared
        TV: whatever its grants say, it may show figures and nothing else, so no register,
        record, export, attachment or console query is open to it."""
        return self.roles == {Role.DISPLAY}

    def can(self, module: str, action: str) -> bool:
        """Granted ``action`` on ``module``; viewing a module includes showing its figures on
        the wall screen (``display``), which is all a screen-only account may do."""
        if self.is_admin:
            return True
        module, action = str(module), str(action)
        if action == Action.DISPLAY:
            return bool({(module, Action.DISPLAY), (module, Action.VIEW)} & self.grants)
        return not self.screen_only and (module, action) in self.grants

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
    for old in session.exec(select(RolePermission)).all():  # one by one: grants are sealed
        session.delete(old)
    session.flush()  # the old rows go before the same grants come back
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
        post_id=session.get(Person, user.person_id).post_id if user.person_id else None,
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
class Audience:
    """A published document's readers: everyone in its enterprise (no ``document_audience``
    rows) or the departments, posts and roles listed there. Only ``published`` states are
    shown to them; drafts stay with whoever holds the module's ``editors`` action."""

    state_field: str = "state"
    published: tuple[str, ...] = ("published",)
    editors: str = "edit"


@dataclass(frozen=True)
class ScopeColumns:
    """Which column of a table answers each scope level (None: the table has none), and the
    person columns that make a row someone's whatever their level.

    ``about`` names the record's subject (an exam record's examinee): that person reads it.
    ``assigned`` names its current owners or assignees (a hazard's owner, an action's doer):
    they read it and may act on it, across departments, or a maintenance technician could
    never rectify a workshop's hazard. ``audience`` makes published rows readable by their
    audience (see ``Audience``).
    """

    own: str | None = "created_by"
    department: str | None = "department_id"
    enterprise: str | None = "enterprise_id"
    park: str | None = None
    about: str | None = None
    assigned: tuple[str, ...] = ()
    audience: Audience | None = None

    @property
    def people(self) -> tuple[str, ...]:
        """Every person column that makes a row "mine" (about me or assigned to me)."""
        return ((self.about,) if self.about else ()) + self.assigned


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


def level_clause(model: type, cols: ScopeColumns, actor: Actor) -> ColumnElement[bool] | None:
    """The rows the actor's scope level reaches (None: all of them), without the relations."""
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
    return false() if value is None else getattr(model, _level_column(cols, level)) == value


def mine_clause(model: type, cols: ScopeColumns, actor: Actor) -> ColumnElement[bool]:
    """Rows about the actor or assigned to the actor (false when the table has no person
    column or the account is not linked to a person)."""
    if actor.person_id is None or not cols.people:
        return false()
    return or_(*(getattr(model, c) == actor.person_id for c in cols.people))


def audience_clause(model: type, cols: ScopeColumns, actor: Actor) -> ColumnElement[bool]:
    """Published rows of the actor's enterprise whose audience includes the actor."""
    aud = cols.audience
    if aud is None or actor.enterprise_id is None or not cols.enterprise:
        return false()
    table = model.__tablename__  # type: ignore[attr-defined]
    listed = and_(DocumentAudience.table_name == table, DocumentAudience.row_id == model.id)
    member = or_(
        DocumentAudience.department_id == actor.department_id
        if actor.department_id is not None
        else false(),
        DocumentAudience.post_id == actor.post_id if actor.post_id is not None else false(),
        DocumentAudience.role.in_(sorted(actor.roles)) if actor.roles else false(),
    )
    return and_(
        getattr(model, aud.state_field).in_(aud.published),
        getattr(model, cols.enterprise) == actor.enterprise_id,
        or_(~exists().where(listed), exists().where(listed, member)),
    )


def scope_clause(
    model: type, cols: ScopeColumns, actor: Actor, *, module: str | None = None
) -> ColumnElement[bool] | None:
    """WHERE clause limiting ``model`` to the rows the actor may read; None means no limit.

    The scope level, or a relation: about me, assigned to me, published for me. On a table
    with an audience the level reaches drafts only for editors (``module``'s editors action).
    """
    level = level_clause(model, cols, actor)
    aud = cols.audience
    if aud is not None and module is not None and not actor.can(module, aud.editors):
        level = false()
    if level is None:
        return None
    relations = [mine_clause(model, cols, actor), audience_clause(model, cols, actor)]
    return or_(level, *relations)


def values_in_scope(
    session: Session, cols: ScopeColumns, actor: Actor, values: dict[str, Any]
) -> bool:
    """May the actor write a row with these values? Used before every write.

    The scope level, or the row is assigned to the actor; being its subject or in its
    audience lets one read a row, never change it (nobody edits their own exam score).
    """
    if actor.person_id is not None and any(values.get(c) == actor.person_id for c in cols.assigned):
        return True
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
    return expected is not None and values.get(_level_column(cols, level)) == expected
