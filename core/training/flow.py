"""Training workflows: the plan (draft → approved → in progress → completed, or cancelled)
and the course materials, published to their audience like every document. A submitted exam
(its answers, score and result) is sealed evidence: a grade changed later outside the app is
named by ``safeloop audit verify --records``.

Approving, completing and cancelling a plan need the training approve grant (the safety
management signs off what is trained and that it was held); starting it needs the edit grant.
"""

from __future__ import annotations

from core import audit
from core.workflow import Transition, Workflow, declare, opener, publishing_flow
from models.enums import Action
from models.training import TrainingPlanState as S

PLAN_FINISHED: tuple[str, ...] = (S.COMPLETED, S.CANCELLED)

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
    )
)

COURSE_FLOW = declare(publishing_flow("training_course"))


plan_opened = opener("training_plan", "draft_training_plan")


course_opened = opener("training_course", "draft_course")


audit.declare_sealed("exam_record", when=lambda row: row["submitted_at"] is not None)
# A submitted attempt and its answers are evidence like the exam record written from them.
audit.declare_sealed("exam_attempt", when=lambda row: str(row["state"]) != "in_progress")
audit.declare_sealed("attempt_item", when=lambda row: bool(row["final"]))
