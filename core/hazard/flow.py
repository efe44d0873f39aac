"""The hazard workflow (隐患排查治理闭环): report → confirm / reject → rectify → verify → close.

Declared as data for the workflow engine. Who may do what: anyone with the create grant
reports; approvers (safety managers, department heads) confirm, reject, verify and decide on
extensions; the assigned owner (or anyone with the edit grant) rectifies and asks for more
time; only safety managers void. A hazard cannot be closed without a passing verification by
someone other than the person who rectified it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.validate import Problem
from core.db import utcnow
from core.hazard.rules import deadline_for
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
from models.enums import Action, Role
from models.hazard import Hazard, HazardLevel
from models.hazard import HazardState as S
from models.org import Person
from models.workflow import WorkflowEvent

OPEN: tuple[str, ...] = (S.REPORTED, S.CONFIRMED, S.RECTIFYING, S.EXTENSION_REQUESTED, S.VERIFYING)
IN_RECTIFICATION: tuple[str, ...] = (S.CONFIRMED, S.RECTIFYING)
MANAGERS = frozenset({Role.SAFETY_HEAD, Role.SAFETY_MANAGER})


def is_owner(hazard: Hazard, actor: Actor) -> bool:
    return actor.person_id is not None and hazard.owner_id == actor.person_id


def _confirm(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    values = step_values(session, "hazard", actor, payload)
    for name in ("level", "category_id", "measures", "owner_id", "risk_point_id"):
        if values.get(name) is not None:
            setattr(h, name, values[name])
    owner = session.get(Person, h.owner_id)
    h.owner_department_id = owner.department_id if owner else h.owner_department_id
    today = site_today()
    h.deadline = values.get("deadline") or deadline_for(session, h.level, today)
    if h.deadline < today:
        raise service.ValidationFailed([Problem("deadline", "workflow.deadline_past", {})])


def _rectify(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    values = step_values(session, "hazard", actor, payload)
    h.measures = values.get("measures") or h.measures
    h.cost = values.get("cost", h.cost)
    h.rectified_at = utcnow()
    h.rectifier_id = actor.user_id


def _verify_pass(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    h.verifier_id, h.verified_at = actor.user_id, utcnow()
    h.closed_at = h.verified_at


def _verify_fail(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    h.verifier_id, h.verified_at = actor.user_id, None


def _request_extension(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    wanted = step_values(session, "hazard", actor, payload).get("extension_deadline")
    if h.deadline is not None and wanted is not None and wanted <= h.deadline:
        raise service.ValidationFailed(
            [
                Problem(
                    "extension_deadline", "workflow.extension_not_later", {"deadline": h.deadline}
                )
            ]
        )
    h.extension_deadline = wanted


def _approve_extension(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    h.deadline, h.extension_deadline = h.extension_deadline, None


def _drop_extension(session: Session, h: Hazard, payload: dict[str, Any], actor: Actor) -> None:
    h.extension_deadline = None


def _not_own_rectification(t: Transition, h: Hazard, actor: Actor) -> str | None:
    """Four eyes: whoever rectified a hazard does not also verify it."""
    own = h.rectifier_id is not None and h.rectifier_id == actor.user_id
    return "workflow.verify_own" if t.action.startswith("verify") and own else None


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "confirm",
        (S.REPORTED,),
        S.CONFIRMED,
        Action.APPROVE,
        required=("owner_id",),
        fields=("deadline", "level", "category_id", "risk_point_id", "measures"),
        apply=_confirm,
    ),
    Transition("reject", (S.REPORTED,), S.REJECTED, Action.APPROVE, comment_required=True),
    Transition(
        "rectify",
        IN_RECTIFICATION,
        S.VERIFYING,
        Action.EDIT,
        who=is_owner,
        required=("measures",),
        fields=("cost",),
        files_required=True,
        apply=_rectify,
    ),
    Transition(
        "request_extension",
        IN_RECTIFICATION,
        S.EXTENSION_REQUESTED,
        Action.EDIT,
        who=is_owner,
        required=("extension_deadline",),
        comment_required=True,
        apply=_request_extension,
    ),
    Transition(
        "approve_extension",
        (S.EXTENSION_REQUESTED,),
        S.RECTIFYING,
        Action.APPROVE,
        apply=_approve_extension,
    ),
    Transition(
        "deny_extension",
        (S.EXTENSION_REQUESTED,),
        S.RECTIFYING,
        Action.APPROVE,
        comment_required=True,
        apply=_drop_extension,
    ),
    Transition(
        "verify_pass",
        (S.VERIFYING,),
        S.CLOSED,
        Action.APPROVE,
        takes_files=True,
        apply=_verify_pass,
    ),
    Transition(
        "verify_fail",
        (S.VERIFYING,),
        S.RECTIFYING,
        Action.APPROVE,
        comment_required=True,
        takes_files=True,
        apply=_verify_fail,
    ),
    Transition(
        "void",
        OPEN,
        S.VOIDED,
        Action.APPROVE,
        roles=MANAGERS,
        comment_required=True,
        apply=_drop_extension,
    ),
)


def _after(session: Session, h: Hazard, event: WorkflowEvent, actor: Actor) -> None:
    """Side effects of every step: who must hear of it (dynamic risk listens on its own)."""
    announce(session, h, event)


HAZARD_FLOW = declare(
    Workflow(
        table="hazard",
        transitions=TRANSITIONS,
        on_change=_after,
        extra_checks=(_not_own_rectification,),
        seal_on=frozenset({S.CLOSED}),
    )
)


def _owner_user(session: Session, h: Hazard) -> list[int]:
    if h.owner_id is None:
        return []
    return list(session.exec(select(User.id).where(User.person_id == h.owner_id)).all())


def announce(session: Session, h: Hazard, event: WorkflowEvent) -> None:
    """Major hazards reach the safety head at once; owners hear of assignments and returns;
    approvers hear of extension requests."""
    ref = {"table_name": "hazard", "row_id": h.id, "enterprise_id": h.enterprise_id}
    params = {"number": h.number, "title": h.title}
    if h.level == HazardLevel.MAJOR and event.to_state in OPEN:
        heads = users_with_role(session, Role.SAFETY_HEAD, enterprise_id=h.enterprise_id)
        notify(session, heads, "notify.major_hazard", params=params, severity="error", **ref)
    if event.action == "confirm":
        deadline = {"deadline": h.deadline.isoformat() if h.deadline else ""}
        notify(
            session,
            _owner_user(session, h),
            "notify.hazard_assigned",
            params={**params, **deadline},
            **ref,
        )
    if event.action == "verify_fail":
        notify(
            session,
            _owner_user(session, h),
            "notify.hazard_returned",
            params=params,
            severity="warning",
            **ref,
        )
    if event.action == "request_extension":
        heads = users_with_role(
            session,
            Role.DEPT_HEAD,
            enterprise_id=h.enterprise_id,
            department_id=h.owner_department_id,
        )
        managers = users_with_role(session, Role.SAFETY_MANAGER, enterprise_id=h.enterprise_id)
        notify(session, heads + managers, "notify.extension_requested", params=params, **ref)


def opened(session: Session, hazard: Any, actor: Actor) -> None:
    """After-create hook of the hazard table: every entry path (form, import, quick report,
    inspection, detector) starts the history with one event and the same side effects."""
    event = opening_event(session, "hazard", hazard, actor, "report")
    announce(session, hazard, event)


def report_hazard(
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    *,
    files: Sequence[tuple[str, bytes]] = (),
    attachment_ids: Sequence[int] = (),
) -> Hazard:
    """Quick report (随手拍) and every programmatic report: a new hazard in ``reported``.

    ``files`` are stored on the hazard (the "before" photos); ``attachment_ids`` link photos
    already stored elsewhere (an inspection item's photo) to the opening event.
    """
    values = {**values, "state": S.REPORTED}
    if not values.get("title") and values.get("description"):
        values["title"] = str(values["description"]).strip().splitlines()[0][:60]
    hazard = service.create_row(session, get_spec("hazard"), actor, values)
    stored = store_files(session, HAZARD_FLOW, hazard, actor, files)
    first = events(session, "hazard", hazard.id)[0]
    first.attachment_ids = [*stored, *attachment_ids]
    session.add(first)
    session.flush()
    return hazard


def act(
    session: Session,
    actor: Actor,
    hazard_id: int,
    action: str,
    *,
    payload: dict[str, Any] | None = None,
    comment: str | None = None,
    files: Sequence[tuple[str, bytes]] = (),
) -> WorkflowEvent:
    """Fire one hazard step (see ``TRANSITIONS``)."""
    return fire(
        session,
        HAZARD_FLOW,
        hazard_id,
        action,
        actor,
        payload=payload,
        comment=comment,
        files=files,
    )
