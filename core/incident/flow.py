"""The incident workflows (事故事件闭环), declared as data for the workflow engine.

An incident is reported, investigated, given corrective actions and closed; it cannot close
while one of its actions is still open, and an accident or injury event cannot close without
any (a near miss may: not every near miss needs one). A corrective action is started and
completed by its owner (or anyone with the edit grant), then verified by an approver who did
not complete it, or reopened. An anonymous near miss is written by a pseudonymous actor, so
that no row, audit entry, event or attachment links it to the person who reported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.crud import service
from core.crud.registry import get_spec
from core.db import utcnow
from core.i18n import Translatable
from core.notify import notify, users_with_role
from core.rbac import Actor
from core.workflow import (
    Transition,
    Workflow,
    declare,
    events,
    fire,
    opening_event,
    step_values,
    store_files,
)
from models.accounts import User
from models.enums import Action, Module, Role, Scope
from models.incident import Incident, IncidentKind
from models.incident import IncidentState as S
from models.incident_action import CorrectiveAction
from models.incident_action import CorrectiveActionState as A
from models.org import Person
from models.workflow import WorkflowEvent

#: The name under which an anonymous report is audited and shown in its history.
ANONYMOUS = "anonymous"
MANAGERS = (Role.SAFETY_HEAD, Role.SAFETY_MANAGER)


class IncidentRefused(Translatable):
    """A step the incident's corrective actions do not allow yet; the message says why."""


def _actions_of(session: Session, incident_id: int) -> tuple[int, int]:
    """(all live corrective actions of the incident, those not closed yet)."""
    live = (CorrectiveAction.incident_id == incident_id, col(CorrectiveAction.deleted_at).is_(None))
    total, still_open = session.exec(
        select(
            func.count(),
            func.count().filter(CorrectiveAction.state != A.CLOSED),
        ).where(*live)
    ).one()
    return int(total), int(still_open)


def _propose(session: Session, i: Incident, payload: dict[str, Any], actor: Actor) -> None:
    i.lessons = step_values(session, "incident", actor, payload).get("lessons") or i.lessons


def _close(session: Session, i: Incident, payload: dict[str, Any], actor: Actor) -> None:
    """Closing waits for every corrective action; injuries must have led to at least one."""
    total, still_open = _actions_of(session, i.id)
    if still_open:
        raise IncidentRefused("incident.close_actions_open", count=still_open)
    if not total and i.kind != IncidentKind.NEAR_MISS:
        raise IncidentRefused("incident.close_needs_actions")
    _propose(session, i, payload, actor)


INCIDENT_FLOW = declare(
    Workflow(
        table="incident",
        transitions=(
            Transition("investigate", (S.REPORTED,), S.INVESTIGATING, Action.APPROVE),
            Transition(
                "propose_actions",
                (S.INVESTIGATING,),
                S.ACTIONS,
                Action.EDIT,
                fields=("lessons",),
                apply=_propose,
            ),
            Transition(
                "close", (S.ACTIONS,), S.CLOSED, Action.APPROVE, fields=("lessons",), apply=_close
            ),
        ),
        seal_on=frozenset({S.CLOSED}),
    )
)


def is_owner(action: CorrectiveAction, actor: Actor) -> bool:
    return actor.person_id is not None and action.owner_id == actor.person_id


def _complete(session: Session, a: CorrectiveAction, payload: dict[str, Any], actor: Actor) -> None:
    a.completion = step_values(session, "corrective_action", actor, payload)["completion"]
    a.completed_by, a.completed_at = actor.user_id, utcnow()


def _verify(session: Session, a: CorrectiveAction, payload: dict[str, Any], actor: Actor) -> None:
    values = step_values(session, "corrective_action", actor, payload)
    a.verification = values.get("verification") or a.verification
    a.closed_at = utcnow()


def _not_own_completion(t: Transition, a: CorrectiveAction, actor: Actor) -> str | None:
    """Four eyes: whoever completed an action does not also verify it."""
    own = a.completed_by is not None and a.completed_by == actor.user_id
    return "incident.verify_own_action" if t.action == "verify" and own else None


def _owner_users(session: Session, person_id: int | None) -> list[int]:
    if person_id is None:
        return []
    stmt = select(User.id).where(User.person_id == person_id, col(User.deleted_at).is_(None))
    return list(session.exec(stmt).all())


#: Steps of a corrective action its owner hears of, and how urgently.
TOLD_OWNER = {
    "assign_action": ("notify.corrective_action_assigned", "info"),
    "reopen": ("notify.corrective_action_returned", "warning"),
}


def _announce_action(
    session: Session, a: CorrectiveAction, event: WorkflowEvent, actor: Actor
) -> None:
    """The owner hears of an action assigned or sent back to them."""
    if event.action not in TOLD_OWNER:
        return
    key, severity = TOLD_OWNER[event.action]
    notify(
        session,
        _owner_users(session, a.owner_id),
        key,
        params={"content": a.content, "deadline": str(a.deadline or "")},
        severity=severity,
        table_name="corrective_action",
        row_id=a.id,
        enterprise_id=a.enterprise_id,
    )


CORRECTIVE_ACTION_FLOW = declare(
    Workflow(
        table="corrective_action",
        transitions=(
            Transition("start", (A.OPEN,), A.IN_PROGRESS, Action.EDIT, who=is_owner),
            Transition(
                "complete",
                (A.OPEN, A.IN_PROGRESS),
                A.VERIFYING,
                Action.EDIT,
                who=is_owner,
                required=("completion",),
                takes_files=True,
                apply=_complete,
            ),
            Transition(
                "verify",
                (A.VERIFYING,),
                A.CLOSED,
                Action.APPROVE,
                fields=("verification",),
                takes_files=True,
                apply=_verify,
            ),
            Transition(
                "reopen", (A.VERIFYING,), A.IN_PROGRESS, Action.APPROVE, comment_required=True
            ),
        ),
        on_change=_announce_action,
        extra_checks=(_not_own_completion,),
    )
)


def incident_opened(session: Session, incident: Any, actor: Actor) -> None:
    """After-create hook of the incident table: the history starts with the report, and an
    accident or injury event reaches the safety managers at once."""
    opening_event(session, "incident", incident, actor, "report")
    if incident.kind == IncidentKind.NEAR_MISS:
        return
    managers = [
        uid
        for role in MANAGERS
        for uid in users_with_role(session, role, enterprise_id=incident.enterprise_id)
    ]
    notify(
        session,
        sorted(set(managers)),
        "notify.incident_reported",
        params={"number": incident.number, "title": incident.title},
        severity="error" if incident.kind == IncidentKind.ACCIDENT else "warning",
        table_name="incident",
        row_id=incident.id,
        enterprise_id=incident.enterprise_id,
    )


def action_opened(session: Session, action: Any, actor: Actor) -> None:
    """After-create hook of the corrective action table: one opening event, the owner told."""
    event = opening_event(session, "corrective_action", action, actor, "assign_action")
    _announce_action(session, action, event, actor)


def pseudonym(actor: Actor) -> Actor:
    """The actor an anonymous report is written as: no user, no person, only the right to
    report. Its reach is the reporter's enterprise (a reporter of own scope could not write a
    row that is nobody's otherwise); the reporter's own grants were checked before."""
    narrow = actor.scope in (Scope.OWN, Scope.DEPARTMENT)
    return replace(
        actor,
        user_id=None,
        username=ANONYMOUS,
        roles=frozenset(),
        scope=Scope.ENTERPRISE if narrow else actor.scope,
        person_id=None,
        post_id=None,
        grants=frozenset({(str(Module.INCIDENT), str(Action.CREATE))}),
    )


def report_near_miss(
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    files: Sequence[tuple[str, bytes]] = (),
    *,
    anonymous: bool = False,
) -> Incident:
    """A report from the incident page, with its photos: a near miss (未遂事件) unless
    ``values`` name another kind.

    Named reports carry the reporter's name; anonymous ones (near misses only, the incident
    rules refuse the rest) are written, audited, opened and stored by ``pseudonym(actor)``,
    so nothing links them to the reporter.
    """
    actor.require(Module.INCIDENT, Action.CREATE)
    kind = values.get("kind") or IncidentKind.NEAR_MISS
    values = {**values, "kind": kind, "anonymous": anonymous}
    if values.get("department_id") is None:
        values["department_id"] = actor.department_id
    writer = pseudonym(actor) if anonymous else actor
    if not anonymous and not values.get("reporter") and actor.person_id is not None:
        values["reporter"] = getattr(session.get(Person, actor.person_id), "name", None)
    incident = service.create_row(session, get_spec("incident"), writer, values)
    stored = store_files(session, INCIDENT_FLOW, incident, writer, files)
    if stored:
        first = events(session, "incident", incident.id)[0]
        first.attachment_ids = stored
        session.add(first)
        session.flush()
    return incident


def act(
    session: Session,
    actor: Actor,
    table: str,
    row_id: int,
    action: str,
    *,
    payload: dict[str, Any] | None = None,
    comment: str | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> WorkflowEvent:
    """Fire one step of an incident or corrective action (see the two flows)."""
    wf = {"incident": INCIDENT_FLOW, "corrective_action": CORRECTIVE_ACTION_FLOW}[table]
    return fire(session, wf, row_id, action, actor, payload=payload, comment=comment, files=files)
