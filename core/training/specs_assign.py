"""CRUD declarations for plan items (a plan's lines: a course for a group) and the training
assignments they create, one per person (``core.training.assignments``)."""

from __future__ import annotations

from core.crud.fields import CHOICE, COMPUTED, DERIVED, module_fields
from core.crud.registry import Preset, TableSpec, register
from core.rbac import REFERENCE_SCOPE, ScopeColumns
from core.training.assignment_flow import FINISHED, assignment_opened
from core.training.assignment_rules import before_assignment, before_plan_item, is_open, overdue
from models.enums import Module, Role
from models.training_learning import TrainingAssignment, TrainingPlanItem

#: Columns whose project-wide label fits; the others read ``field.training_assign.<column>``.
SHARED = (
    "person_id",
    "course_id",
    "department_id",
    "post_id",
    "contractor_id",
    "position",
    "enterprise_id",
)
PLAN = {"label": "field.training_plan"}

TRAINING_PLAN_ITEM = register(
    TableSpec(
        name="training_plan_item",
        parent="plan_id",
        model=TrainingPlanItem,
        module=Module.TRAINING,
        page="pages/training_plan_item.py",
        fields=module_fields(
            TrainingPlanItem,
            "plan_id",
            "position",
            "course_id",
            "target",
            "department_id",
            "post_id",
            "role",
            "contractor_id",
            "hired_within_days",
            "due_on",
            "due_days",
            "follow_joiners",
            prefix="training_assign",
            shared=SHARED,
            plan_id={**PLAN, "filter": True},
            course_id={"filter": True},
            target={"filter": True},
            role={"kind": CHOICE, "choices": tuple(Role), "choice_prefix": "enum.Role"},
            contractor_id={"in_list": False},
            hired_within_days={"in_list": False},
        ),
        search=("course_id",),
        title_field="id",
        default_sort=("position", False),
        scope=REFERENCE_SCOPE,
        before_save=before_plan_item,
        example={"target": "enterprise"},
    )
)

TRAINING_ASSIGNMENT = register(
    TableSpec(
        name="training_assignment",
        model=TrainingAssignment,
        module=Module.TRAINING,
        page="pages/training_assignment.py",
        fields=module_fields(
            TrainingAssignment,
            "person_id",
            "course_id",
            "due_on",
            "state",
            "source",
            "assigned_on",
            "completed_on",
            "plan_id",
            "plan_item_id",
            "record_id",
            "enterprise_id",
            "department_id",
            prefix="training_assign",
            shared=SHARED,
            person_id={"filter": True},
            course_id={"filter": True},
            due_on={"filter": True},
            state={**COMPUTED, "filter": True},
            source={**COMPUTED, "filter": True},
            assigned_on={**COMPUTED, "filter": True},
            completed_on={**COMPUTED, "filter": True},
            plan_id={**PLAN, **COMPUTED, "filter": True, "in_list": False},
            plan_item_id={**COMPUTED, "in_list": False},
            record_id={**COMPUTED, "in_list": False},
            enterprise_id=DERIVED,
            department_id={**DERIVED, "in_list": False},
        ),
        search=("person_id", "course_id"),
        title_field="id",
        default_sort=("due_on", False),
        # the person reads their own assignments whatever their scope ("my training")
        scope=ScopeColumns(about="person_id"),
        before_save=before_assignment,
        after_create=assignment_opened,
        state_field="state",
        locked=lambda a: a.state in FINISHED,
        presets={
            "overdue": Preset("training_assign.preset.overdue", where=overdue),
            "open": Preset("training_assign.preset.open", where=lambda _today: is_open()),
        },
    )
)
