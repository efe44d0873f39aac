"""The permit workflow (作业票闭环): apply → approve → prepare → start → (suspend ⇄ resume) →
complete → close, or reject / cancel. Declared as data for the workflow engine.

- *submit* (applicant): the permit must be complete — template fields, JSA, crew with valid
  certificates, a guardian who is not also a worker; overlapping permits in the same place
  (SIMOPS) are recorded on the permit and announced to both applicants and the approvers.
- *sign* / *reject* / *unapprove* (the chain's signers, ``core.permit.approval``): the last
  signature approves; a rejection sends the permit back with a reason; withdrawing a signature
  withdraws the later ones too.
- *start* refuses while ``core.permit.start.start_problems`` lists anything.
- a reading outside its limit during the work *suspends* the permit at once (``reading_saved``;
  the readings themselves are ``core.permit.readings``); so may the guardian, an approver, or
  the detector service (guardian absent); *resume* needs fresh readings inside the limits
  again.
- *complete* needs the crew out and the site checked; *close* is the acceptor's signature.
  Closed and cancelled permits are archived read-only.

Who hears of each step is ``core.permit.announce``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.crud import service
from core.crud.registry import get_spec
from core.crud.validate import Problem
from core.db import utcnow
from core.i18n import t
from core.permit.announce import announce
from core.permit.approval import (
    add_signature,
    chain_state,
    may_sign_any,
    may_sign_role,
    step_for,
    template_of,
    withdraw_all,
    withdraw_from,
)
from core.permit.gas import GasStatus, gas_status, limit_text, required_gases, value_text
from core.permit.rules import aware, limits_for, pick_limit
from core.permit.simops import overlapping
from core.permit.start import is_applicant, is_guardian, start_problems, window_problems
from core.permit.templates import CLOSE_OUT, form_value_problems, has_close_out, parse_steps
from core.permit.workers import worker_problems
from core.rbac import SYSTEM, Actor, PermissionDenied
from core.workflow import Transition, Workflow, declare, fire, opening_event
from models.enums import Action
from models.permit import Permit, PermitDecision
from models.permit import PermitState as S
from models.permit_reference import PermitType
from models.workflow import WorkflowEvent

EDITABLE: tuple[str, ...] = (S.DRAFT, S.REJECTED)
ARCHIVED: tuple[str, ...] = (S.CLOSED, S.CANCELLED)
CANCELLABLE: tuple[str, ...] = (
    S.DRAFT,
    S.SUBMITTED,
    S.APPROVING,
    S.APPROVED,
    S.GAS_TESTED,
    S.REJECTED,
    S.SUSPENDED,
)
READY: tuple[str, ...] = (S.APPROVED, S.GAS_TESTED)


def _crew_lead(permit: Permit, actor: Actor) -> bool:
    return is_applicant(permit, actor) or is_guardian(permit, actor)


# --- checks ---------------------------------------------------------------------------------


def submit_problems(session: Session, permit: Permit) -> list[Problem]:
    """What a permit needs before anyone is asked to sign it."""
    template = template_of(session, permit)
    problems: list[Problem] = []
    if permit.area_id is None:
        problems.append(Problem("area_id", "validation.required", {}))
    if not [r for r in permit.jsa or [] if isinstance(r, dict) and r.get("measure")]:
        problems.append(Problem("jsa", "permit.jsa_missing", {}))
    if not permit.workers:
        problems.append(Problem("workers", "permit.workers_missing", {}))
    if permit.guardian_id is None:
        problems.append(Problem("guardian_id", "permit.guardian_missing", {}))
    elif permit.guardian_id in {w for w in permit.workers or [] if isinstance(w, int)}:
        problems.append(Problem("guardian_id", "permit.guardian_is_worker", {}))
    if aware(permit.planned_end) <= utcnow():
        problems.append(Problem("planned_end", "permit.window_over", {"end": permit.planned_end}))
    if template is not None:
        problems += form_value_problems(template.form_fields, permit.form_values or {})
    accepted = [str(c) for c in (template.worker_certificates if template else [])]
    problems += worker_problems(
        session, permit.workers or [], accepted, aware(permit.planned_end).date()
    )
    return problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise service.ValidationFailed(problems)


# --- step effects ---------------------------------------------------------------------------


def _submit(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    _refuse(submit_problems(session, p))
    withdraw_all(session, p.id)  # a resubmission starts the chain again
    p.simops = [o.id for o in overlapping(session, p)]
    if chain_state(session, p, template_of(session, p)).complete:
        raise service.ValidationFailed([Problem("template", "permit.tpl.no_approver", {})])


def _sign(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    state = chain_state(session, p, template_of(session, p))
    step = step_for(state, p, actor)
    if step is None:
        raise PermissionDenied("permit.not_your_step")
    add_signature(session, p, actor, step=step.index, role=step.role, comment=payload.get("note"))


def _reject(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    state = chain_state(session, p, template_of(session, p))
    step = step_for(state, p, actor)
    if step is None:
        raise PermissionDenied("permit.not_your_step")
    add_signature(
        session,
        p,
        actor,
        step=step.index,
        role=step.role,
        decision=PermitDecision.REJECT,
        comment=payload.get("note"),
    )


def _unapprove(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    state = chain_state(session, p, template_of(session, p))
    if not withdraw_from(session, p, state, actor):
        raise PermissionDenied("permit.nothing_to_withdraw")


def _start(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    _refuse(start_problems(session, p))
    p.started_at = utcnow()


def _suspend(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    p.suspend_reason = payload.get("note")


def _resume(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    problems = window_problems(p, utcnow()) + [
        g.problem for g in gas_of(session, p) if g.problem is not None
    ]
    _refuse(problems)
    p.suspend_reason = None


def _complete(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    problems = [
        Problem(name, "permit.closeout_unconfirmed", {})
        for name in ("workers_out", "site_checked")
        if payload.get(name) is not True
    ]
    _refuse(problems)
    p.completed_at = utcnow()


def _close(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    template = template_of(session, p)
    if template is not None and has_close_out(template.approval_steps):
        if not may_sign_role(p, CLOSE_OUT, actor):
            raise PermissionDenied("permit.not_your_step")
        step = next(s for s in parse_steps(template.approval_steps) if s.role == CLOSE_OUT)
        add_signature(
            session, p, actor, step=step.index, role=CLOSE_OUT, comment=payload.get("note")
        )
    p.closed_at = utcnow()


def _cancel(session: Session, p: Permit, payload: dict[str, Any], actor: Actor) -> None:
    p.cancel_reason = payload.get("note")


def gas_of(session: Session, p: Permit) -> list[GasStatus]:
    """Each gas the permit's template (or type) asks for against its limit, now."""
    template = template_of(session, p)
    ptype = session.get(PermitType, p.permit_type_id)
    code = ptype.code if ptype else ""
    gases = required_gases(
        template.gases if template else [],
        bool(ptype and ptype.requires_gas_analysis),
        session,
        code,
    )
    return gas_status(session, p, code, gases, utcnow())


# --- the steps ------------------------------------------------------------------------------


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "submit", (S.DRAFT, S.REJECTED), S.APPROVING, Action.EDIT, who=is_applicant, apply=_submit
    ),
    Transition("sign", (S.APPROVING,), S.APPROVING, Action.APPROVE, who=may_sign_any, apply=_sign),
    Transition(
        "sign_final", (S.APPROVING,), S.APPROVED, Action.APPROVE, who=may_sign_any, apply=_sign
    ),
    Transition(
        "reject",
        (S.APPROVING,),
        S.REJECTED,
        Action.APPROVE,
        who=may_sign_any,
        comment_required=True,
        apply=_reject,
    ),
    Transition(
        "unapprove",
        (S.APPROVING, S.APPROVED, S.GAS_TESTED),
        S.APPROVING,
        Action.APPROVE,
        who=may_sign_any,
        comment_required=True,
        apply=_unapprove,
    ),
    Transition("start", READY, S.IN_PROGRESS, Action.EDIT, who=_crew_lead, apply=_start),
    Transition(
        "suspend",
        (S.IN_PROGRESS,),
        S.SUSPENDED,
        Action.APPROVE,
        who=_crew_lead,
        comment_required=True,
        apply=_suspend,
    ),
    Transition(
        "resume", (S.SUSPENDED,), S.IN_PROGRESS, Action.APPROVE, who=_crew_lead, apply=_resume
    ),
    Transition(
        "complete",
        (S.IN_PROGRESS,),
        S.COMPLETED,
        Action.EDIT,
        who=_crew_lead,
        required=("workers_out", "site_checked"),
        apply=_complete,
    ),
    Transition("close", (S.COMPLETED,), S.CLOSED, Action.APPROVE, apply=_close),
    Transition(
        "cancel",
        CANCELLABLE,
        S.CANCELLED,
        Action.APPROVE,
        who=is_applicant,
        comment_required=True,
        apply=_cancel,
    ),
)

#: Steps the generic panel does not offer: ``sign``/``sign_final`` are one button (``sign``).
HIDDEN_STEPS = frozenset({"sign_final"})


def _after(session: Session, p: Permit, event: WorkflowEvent, actor: Actor) -> None:
    announce(session, p, event, actor)


PERMIT_FLOW = declare(
    Workflow(
        table="permit", transitions=TRANSITIONS, on_change=_after, seal_on=frozenset({S.CLOSED})
    )
)


# --- entry points ---------------------------------------------------------------------------


def act(
    session: Session,
    actor: Actor,
    permit_id: int,
    action: str,
    *,
    comment: str | None = None,
    payload: dict[str, Any] | None = None,
) -> WorkflowEvent:
    """Fire one step. ``sign`` becomes ``sign_final`` when this signature completes the chain;
    the comment reaches the step's effect (rejection reason, suspension reason, ...)."""
    payload = {**(payload or {}), "note": comment}
    if action == "sign":
        permit = service.get_row(session, get_spec("permit"), actor, permit_id)
        state = chain_state(session, permit, template_of(session, permit))
        step = step_for(state, permit, actor)
        if step is not None and [s.index for s in state.open_steps()] == [step.index]:
            last_stage = state.open_stage == len(state.stages) - 1
            action = "sign_final" if last_stage else action
    return fire(session, PERMIT_FLOW, permit_id, action, actor, payload=payload, comment=comment)


def opened(session: Session, permit: Any, actor: Actor) -> None:
    """After-create hook of the permit table: the history starts with the application."""
    opening_event(session, "permit", permit, actor, "apply")


def apply_for_permit(
    session: Session, actor: Actor, values: dict[str, Any], *, submit: bool = False
) -> Permit:
    """A new permit (a draft), submitted for approval at once when ``submit``."""
    values = {
        **values,
        "state": S.DRAFT,
        "applicant_id": values.get("applicant_id") or actor.user_id,
    }
    permit = service.create_row(session, get_spec("permit"), actor, values)
    if submit:
        act(session, actor, permit.id, "submit")
        session.refresh(permit)
    return permit


def extend(session: Session, actor: Actor, permit_id: int, new_end: Any) -> Permit:
    """An extension (延期) is a new permit for the following window, linked to the original and
    approved again; the original runs out as planned."""
    original = service.get_row(session, get_spec("permit"), actor, permit_id)
    if original.state not in (*READY, S.IN_PROGRESS, S.SUSPENDED):
        raise PermissionDenied("permit.extend_state")
    if aware(new_end) <= aware(original.planned_end):
        raise service.ValidationFailed([Problem("planned_end", "permit.extend_not_later", {})])
    copied = {
        name: getattr(original, name)
        for name in (
            "permit_type_id",
            "grade_id",
            "enterprise_id",
            "department_id",
            "area_id",
            "location",
            "x",
            "y",
            "content",
            "guardian_id",
            "workers",
            "jsa",
            "form_values",
            "template_id",
        )
    }
    return apply_for_permit(
        session,
        actor,
        {
            **copied,
            "parent_id": original.id,
            "planned_start": original.planned_end,
            "planned_end": new_end,
        },
    )


# --- a reading out of its limit stops the work ----------------------------------------------


def reading_saved(session: Session, reading: Any, actor: Actor) -> None:
    """After-create hook of the readings table: out of limit while the work runs → suspend."""
    if reading.within_limit is not False:
        return
    permit = session.get(Permit, reading.permit_id)
    if permit is None or permit.state != S.IN_PROGRESS:
        return
    ptype = session.get(PermitType, permit.permit_type_id)
    limit = pick_limit(
        limits_for(session, ptype.code if ptype else ""), reading.gas, reading.medium_lel
    )
    reason = t(
        "permit.auto_suspend",
        gas=t(f"enum.PermitGas.{reading.gas}"),
        value=value_text(reading),
        limit=limit_text(limit) if limit else "-",
    )
    suspend(session, permit.id, reason, source=actor)


def suspend(session: Session, permit_id: int, reason: str, *, source: Actor = SYSTEM) -> None:
    """Stop a running permit for a reason found by the system (a reading, the detector's
    guardian-absent rule); the event names who found it."""
    system = Actor(
        user_id=None,
        username=f"system ({source.username})" if source is not SYSTEM else "system",
        roles=SYSTEM.roles,
        scope=SYSTEM.scope,
    )
    fire(
        session, PERMIT_FLOW, permit_id, "suspend", system, comment=reason, payload={"note": reason}
    )
