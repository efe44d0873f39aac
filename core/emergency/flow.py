"""Emergency workflows, declared as data for the workflow engine.

Plans (应急预案): editors draft and send for review; approvers return or approve (the approval
records the version, so a version becomes current only when approved), publish to the plan's
audience (publishing a revision supersedes the plan it replaces) and supersede. Drills
(应急演练): the scheme is approved, people are trained, the drill is held and evaluated; its
findings become corrective actions in the same step, and holding it moves the plan's next
statutory drill date. Response checklists and external contacts are published documents.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.validate import Problem
from core.db import utcnow
from core.emergency.rules import last_drill, next_drill_due, next_version, review_due
from core.rbac import Actor
from core.workflow import (
    Transition,
    Workflow,
    declare,
    fire,
    opener,
    publishing_flow,
    step_values,
)
from models.emergency import EmergencyPlan, EmergencyPlanVersion
from models.emergency import EmergencyPlanState as P
from models.emergency_drill import Drill
from models.emergency_drill import DrillState as D
from models.enums import Action
from models.incident_action import CorrectiveActionSource
from models.workflow import WorkflowEvent


def _refuse(field: str, key: str, **params: Any) -> service.ValidationFailed:
    return service.ValidationFailed([Problem(field, key, params)])


# --- plans ---------------------------------------------------------------------------------


def _approve(session: Session, plan: EmergencyPlan, payload: dict[str, Any], actor: Actor) -> None:
    """The approved version becomes the plan's: the one asked for, else the next after the
    plan it revises; a version the plan or its predecessor already had is refused."""
    replaced = session.get(EmergencyPlan, plan.replaces_id or -1)
    asked = str(step_values(session, "emergency_plan", actor, payload).get("version") or "").strip()
    version = asked or next_version(replaced.version if replaced else None)
    taken = {v.version for v in _versions(session, plan.id)}
    if replaced is not None:
        taken |= {replaced.version, *(v.version for v in _versions(session, replaced.id))}
    if version in taken:
        raise _refuse("version", "validation.emergency.version_taken", version=version)
    plan.version = version


def _versions(session: Session, plan_id: int | None) -> list[EmergencyPlanVersion]:
    return list(
        session.exec(select(EmergencyPlanVersion).where(EmergencyPlanVersion.plan_id == plan_id))
    )


def _publish(session: Session, plan: EmergencyPlan, payload: dict[str, Any], actor: Actor) -> None:
    """In force from the day given (today by default): review and drill dates count from it."""
    effective = step_values(session, "emergency_plan", actor, payload).get("effective_on")
    plan.effective_on = effective or plan.effective_on or site_today()
    plan.review_due = plan.review_due or review_due(plan.effective_on)
    plan.next_drill_due = next_drill_due(plan.kind, last_drill(session, plan.id), plan.effective_on)


def _plan_after(session: Session, plan: EmergencyPlan, event: WorkflowEvent, actor: Actor) -> None:
    """The approval's version record (the step's comment is its change summary); a published
    revision supersedes the published plan it replaces, as a step of that plan."""
    if event.action == "approve":
        service.create_row(
            session,
            get_spec("emergency_plan_version"),
            actor,
            {
                "plan_id": plan.id,
                "version": plan.version,
                "change_summary": event.comment,
                "approved_by": actor.username,
                "approved_at": utcnow(),
            },
        )
    replaced = session.get(EmergencyPlan, plan.replaces_id or -1)
    if event.action == "publish" and replaced is not None and replaced.state == P.PUBLISHED:
        fire(session, PLAN_FLOW, replaced.id, "supersede", actor)


PLAN_FLOW = declare(
    Workflow(
        table="emergency_plan",
        transitions=(
            Transition("send_for_review", (P.DRAFT,), P.UNDER_REVIEW, Action.EDIT),
            Transition("return", (P.UNDER_REVIEW,), P.DRAFT, Action.APPROVE, comment_required=True),
            Transition(
                "approve",
                (P.UNDER_REVIEW,),
                P.APPROVED,
                Action.APPROVE,
                fields=("version",),
                apply=_approve,
            ),
            Transition(
                "publish",
                (P.APPROVED,),
                P.PUBLISHED,
                Action.APPROVE,
                fields=("effective_on",),
                apply=_publish,
            ),
            Transition("supersede", (P.PUBLISHED,), P.SUPERSEDED, Action.APPROVE),
        ),
        on_change=_plan_after,
    )
)


plan_drafted = opener("emergency_plan", "draft_plan")


# --- drills --------------------------------------------------------------------------------


def _done_on(session: Session, actor: Actor, payload: dict[str, Any], field: str) -> Any:
    """The day a step was done: the one given (not in the future), else today."""
    day = step_values(session, "drill", actor, payload).get(field)
    if day is not None and day > site_today():
        raise _refuse(field, "validation.emergency.date_in_future")
    return day or site_today()


def _scheme(session: Session, drill: Drill, payload: dict[str, Any], actor: Actor) -> None:
    drill.scheme_done_on = _done_on(session, actor, payload, "scheme_done_on")


def _train(session: Session, drill: Drill, payload: dict[str, Any], actor: Actor) -> None:
    drill.trained_on = _done_on(session, actor, payload, "trained_on")
    drill.trainees = step_values(session, "drill", actor, payload).get("trainees", drill.trainees)


def _hold(session: Session, drill: Drill, payload: dict[str, Any], actor: Actor) -> None:
    values = step_values(session, "drill", actor, payload)
    drill.held_on = _done_on(session, actor, payload, "held_on")
    drill.participants = values["participants"]
    drill.location = values.get("location") or drill.location


def _evaluate(session: Session, drill: Drill, payload: dict[str, Any], actor: Actor) -> None:
    """The evaluation, and one corrective action per finding line (源自演练)."""
    values = step_values(session, "drill", actor, payload)
    drill.evaluated_on = _done_on(session, actor, payload, "evaluated_on")
    if drill.held_on is not None and drill.evaluated_on < drill.held_on:
        raise _refuse("evaluated_on", "validation.emergency.evaluated_before_held")
    drill.evaluation = values["evaluation"]
    drill.findings = values.get("findings")
    drill.action_owner_id = values.get("action_owner_id")
    drill.action_deadline = values.get("action_deadline")
    for line in findings(drill.findings):
        service.create_row(
            session,
            get_spec("corrective_action"),
            actor,
            {
                "content": line,
                "source": CorrectiveActionSource.DRILL,
                "drill_id": drill.id,
                "source_ref": drill.name[:100],
                "owner_id": drill.action_owner_id,
                "deadline": drill.action_deadline,
                "enterprise_id": drill.enterprise_id,
                "department_id": drill.department_id,
            },
        )


def findings(text: str | None) -> list[str]:
    """The findings of an evaluation: one per non-blank line (an action holds 500 characters)."""
    return [line.strip()[:500] for line in (text or "").splitlines() if line.strip()]


def _drill_after(session: Session, drill: Drill, event: WorkflowEvent, actor: Actor) -> None:
    """A drill held (or evaluated) restarts its plan's statutory interval."""
    plan = session.get(EmergencyPlan, drill.plan_id or -1)
    if plan is not None and event.action in ("hold_drill", "evaluate_drill"):
        plan.next_drill_due = next_drill_due(
            plan.kind, last_drill(session, plan.id), plan.effective_on
        )
        session.add(plan)
        session.flush()


DRILL_FLOW = declare(
    Workflow(
        table="drill",
        transitions=(
            Transition(
                "approve_scheme",
                (D.PLANNED,),
                D.SCHEME_READY,
                Action.APPROVE,
                fields=("scheme_done_on",),
                apply=_scheme,
            ),
            Transition(
                "train_drill",
                (D.SCHEME_READY,),
                D.TRAINED,
                Action.EDIT,
                fields=("trained_on", "trainees"),
                apply=_train,
            ),
            Transition(
                "hold_drill",
                (D.TRAINED,),
                D.HELD,
                Action.EDIT,
                required=("participants",),
                fields=("held_on", "location"),
                apply=_hold,
            ),
            Transition(
                "evaluate_drill",
                (D.HELD,),
                D.EVALUATED,
                Action.APPROVE,
                required=("evaluation",),
                fields=("evaluated_on", "findings", "action_owner_id", "action_deadline"),
                apply=_evaluate,
            ),
            Transition(
                "cancel",
                (D.PLANNED, D.SCHEME_READY, D.TRAINED),
                D.CANCELLED,
                Action.APPROVE,
                comment_required=True,
            ),
        ),
        on_change=_drill_after,
    )
)


drill_planned = opener("drill", "plan_drill")


# --- published documents -------------------------------------------------------------------

CHECKLIST_FLOW = declare(publishing_flow("response_checklist"))
CONTACT_FLOW = declare(publishing_flow("external_contact"))
