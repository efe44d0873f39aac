"""Things an analyst keeps for themselves or shares with their enterprise (saved queries,
dashboards): who sees them and who may change them.

A shared item is visible to everyone in the owner's enterprise (park- and all-scoped users see
those of every enterprise they reach); only its owner changes it. Only the description travels:
running it applies the reader's own modules and scope.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import and_, col, or_, true

from core.rbac import Actor, ScopeColumns, scope_clause

#: Shared items reach the owner's enterprise, whatever the reader's narrower scope.
SHARED_SCOPE = ScopeColumns(own=None, department=None, enterprise="enterprise_id")


def mine_or_shared(model: Any, actor: Actor) -> Any:
    """WHERE clause: live rows the actor owns, or shared ones in an enterprise they reach."""
    shared = scope_clause(model, SHARED_SCOPE, actor)
    return and_(
        col(model.deleted_at).is_(None),
        or_(
            model.owner_id == actor.user_id,
            and_(col(model.shared).is_(True), true() if shared is None else shared),
        ),
    )


def mine_first(rows: list[Any], actor: Actor) -> list[Any]:
    """The actor's own items, then the others', each by name."""
    return sorted(rows, key=lambda r: (r.owner_id != actor.user_id, r.name.casefold()))
