"""Who a published document is for: read and set its audience (``document_audience``).

The readers' side is a scope relation (``core.rbac.audience_clause``); this module is the
editors' side. Setting an audience is an edit of the document: it needs the module's edit
grant on a row the editor may write, replaces the whole list in one step and is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, select

from core import audit
from core.crud.registry import TableSpec
from core.crud.service import get_row, guard_scope
from core.rbac import Actor, PermissionDenied
from models.audience import DocumentAudience
from models.enums import Role
from models.org import Department, Post


@dataclass(frozen=True)
class AudienceList:
    """Departments, posts and roles a document is for; all empty: the whole enterprise."""

    departments: tuple[int, ...] = ()
    posts: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    names: dict[str, list[str]] = field(default_factory=dict, compare=False)

    @property
    def everyone(self) -> bool:
        return not (self.departments or self.posts or self.roles)


def audience_of(session: Session, spec: TableSpec, actor: Actor, row_id: int) -> AudienceList:
    """The audience of a row the actor may read (NotFound otherwise)."""
    get_row(session, spec, actor, row_id)
    rows = session.exec(
        select(DocumentAudience).where(
            DocumentAudience.table_name == spec.name, DocumentAudience.row_id == row_id
        )
    ).all()
    departments = tuple(sorted(r.department_id for r in rows if r.department_id is not None))
    posts = tuple(sorted(r.post_id for r in rows if r.post_id is not None))
    roles = tuple(sorted(r.role for r in rows if r.role))
    names = {
        "departments": _names(session, Department, departments),
        "posts": _names(session, Post, posts),
    }
    return AudienceList(departments, posts, roles, names)


def _names(session: Session, model: type, ids: Iterable[int]) -> list[str]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(session.exec(select(model.name).where(col(model.id).in_(wanted))).all())


def set_audience(
    session: Session, spec: TableSpec, actor: Actor, row_id: int, audience: AudienceList
) -> None:
    """Replace a document's audience (editors only; references checked against the row's
    enterprise so nobody aims a document at another enterprise's departments)."""
    if spec.scope.audience is None:
        raise PermissionDenied("audience.not_published_table")
    actor.require(spec.module, spec.scope.audience.editors)
    row = get_row(session, spec, actor, row_id, include_deleted=False)
    guard_scope(session, spec, actor, row.model_dump(warnings=False))
    enterprise = getattr(row, "enterprise_id", None)
    for model, ids in ((Department, audience.departments), (Post, audience.posts)):
        found = session.exec(
            select(model.id).where(col(model.id).in_(ids), model.enterprise_id == enterprise)
        ).all()
        if len(set(found)) != len(set(ids)):
            raise PermissionDenied("error.out_of_scope")
    if any(r not in {x.value for x in Role} for r in audience.roles):
        raise PermissionDenied("audience.unknown_role")
    before = audience_of(session, spec, actor, row_id)
    session.exec(  # type: ignore[call-overload]
        delete(DocumentAudience).where(
            DocumentAudience.table_name == spec.name, DocumentAudience.row_id == row_id
        )
    )
    session.add_all(
        [
            DocumentAudience(table_name=spec.name, row_id=row_id, department_id=d)
            for d in audience.departments
        ]
        + [DocumentAudience(table_name=spec.name, row_id=row_id, post_id=p) for p in audience.posts]
        + [DocumentAudience(table_name=spec.name, row_id=row_id, role=r) for r in audience.roles]
    )
    session.flush()
    audit.record(
        session,
        actor,
        "audience",
        table_name=spec.name,
        row_id=row_id,
        enterprise_id=enterprise,
        before=_plain(before),
        after=_plain(audience),
    )


def audience_choices(
    session: Session, spec: TableSpec, actor: Actor, row_id: int
) -> dict[str, list[tuple[object, str]]]:
    """What an editor may aim the row at: its enterprise's departments and posts, the roles."""
    row = get_row(session, spec, actor, row_id)
    enterprise = getattr(row, "enterprise_id", None)
    choices: dict[str, list[tuple[object, str]]] = {}
    for key, model in (("departments", Department), ("posts", Post)):
        stmt = select(model.id, model.name).where(
            model.enterprise_id == enterprise, col(model.deleted_at).is_(None)
        )
        choices[key] = [(i, n) for i, n in session.execute(stmt.order_by(model.name)).all()]
    choices["roles"] = [(r.value, f"enum.Role.{r.value}") for r in Role if r != Role.ADMIN]
    return choices


def _plain(a: AudienceList) -> dict[str, list[object]]:
    return {"departments": list(a.departments), "posts": list(a.posts), "roles": list(a.roles)}
