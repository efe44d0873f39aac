"""What a page of the app is, apart from the navigation that lists it: the workbench and the
module lists declare pages, and ``core.ui.nav`` (which reads them) must not be imported by
them (the acyclic-siblings contract).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rbac import Actor
from models.enums import Action, Module, Scope

ANY = "*"


@dataclass(frozen=True)
class PageDef:
    """A page of the app. ``module``/``action`` decide who may open it (``ANY`` module: the
    action on any module); ``own_scope=False`` keeps it from accounts that only ever see their
    own records (their workbench already shows those); ``needs_person`` pages ("my permits")
    list a person's records, so an account linked to no person does not get them in its menu
    (the page itself says why it is empty, for a typed address)."""

    path: str
    title: str
    group: str
    module: str | None = None
    action: str = Action.VIEW
    own_scope: bool = True
    needs_person: bool = False

    def open_to(self, actor: Actor) -> bool:
        if not self.own_scope and actor.scope == Scope.OWN and not actor.is_admin:
            return False
        if self.module is None:
            return True
        if self.module == ANY:
            return any(actor.can(m, self.action) for m in Module)
        return actor.can(self.module, self.action)
