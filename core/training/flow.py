"""Training workflows: the plan (draft → approved → in progress → completed, or cancelled)
and the course materials, published to their audience like every document. A submitted exam
(its answers, score and result) is sealed evidence: a grade changed later outside the app is
named by ``safeloop audit verify --records``.

Approving, completing and cancelling a plan need the training approve grant (the safety
management signs off what is trained and that it was held); starting it needs the edit grant.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import audit
from core.rbac import Actor
from core.training.assignment_flow import waive_for_plan
from core.training.assignments import assign_plan
from core.workflow import Transition, Workflow, declare, opener, publishing_flow
from models.enums import Action
from models.training import TrainingPlanState as S
from models.workflow import WorkflowEvent

PLAN_FINISHED: tuple[str, ...] = (S.COMPLETED, S.CANCELLED)


def _plan_moved(session: Session, plan: Any, event: WorkflowEvent, actor: Actor) -> None:
    """An approved plan assigns its items' courses to the people they target, in the
    approval's transaction (``core.training.assignments``); a cancelled one waives what is
    still open."""
    if event.action == "approve":
        assign_plan(session, actor, plan.id)
    elif event.action == "cancel":
        waive_for_plan(session, actor, plan.id, event.comment or "")


PLAN_FLOW = declare(
    Workflow(
        table="training_plan",
        transitions=(
            Transition("approve", (S.DRAFT,), S.APPROVED, Action.APPROVE),
            Transition("start", (S.APPROVED,), S.IN_PROGRESS, Action.EDIT),
            Transition("complete", (S.IN_PROGRESS,), S.COMPLETED, Action.APPROVE),
            Transition(
                "cancel",
                (S.DRAFT, S.APPROVED, S.IN_PROGRESS),
                S.CANCELLED,
                Action.APPROVE,
                comment_required=True,
            ),
        ),
        on_change=_plan_moved,
    )
)

COURSE_FLOW = declare(publishing_flow("training_course"))


plan_opened = opener("training_plan", "draft_training_plan")


course_opened = opener("training_course", "draft_course")


audit.declare_sealed("exam_record", when=lambda row: row["submitted_at"] is not None)
# A submitted attempt and its answers are evidence like the exam record written from them.
audit.declare_sealed("exam_attempt", when=lambda row: str(row["state"]) != "in_progress")
audit.declare_sealed("attempt_item", when=lambda row: bool(row["final"]))
