"""CRUD declarations of the inspection side of risk control: checklists whose items come from
control measures, plans, and the rounds (tasks) with their lines.

Permissions are the risk module's; generic column names carry labels under ``field.risk.*``.
"""

from __future__ import annotations

from functools import partial

from core.crud.fields import COMPUTED, TEXTAREA, module_fields
from core.crud.registry import Preset, TableSpec, register
from core.inspection.todo import overdue_clause
from core.rbac import ScopeColumns
from models.enums import Module
from models.risk_inspection import (
    InspectionCheckItem,
    InspectionChecklist,
    InspectionPlan,
    InspectionTask,
    InspectionTaskItem,
)

OWN_LABEL = frozenset(
    [
        "unit_id",
        "content",
        "standard",
        "seq",
        "measure_id",
        "checklist_id",
        "plan_id",
        "due_date",
        "assignee_id",
        "state",
        "done_at",
        "result",
        "remark",
        "starts_on",
        "ends_on",
    ]
)
risk_fields = partial(module_fields, prefix="risk", own=OWN_LABEL)
#: Plans and rounds are the assignee's, whatever their scope: an inspector of another
#: department who walks a workshop's round sees and works it.
ASSIGNEE_SCOPE = ScopeColumns(assigned=("assignee_id",))

INSPECTION_CHECKLIST = register(
    TableSpec(
        name="inspection_checklist",
        page="pages/risk_inspection_checklist.py",
        model=InspectionChecklist,
        module=Module.RISK,
        fields=risk_fields(
            InspectionChecklist,
            "name",
            "unit_id",
            "enterprise_id",
            "department_id",
            "description",
            unit_id={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name",),
        default_sort=("name", False),
    )
)

INSPECTION_CHECK_ITEM = register(
    TableSpec(
        name="inspection_check_item",
        parent="checklist_id",
        page="pages/risk_inspection_check_item.py",
        model=InspectionCheckItem,
        module=Module.RISK,
        fields=risk_fields(
            InspectionCheckItem,
            "checklist_id",
            "seq",
            "content",
            "standard",
            "measure_id",
            "enterprise_id",
            "department_id",
            checklist_id={"filter": True},
            standard={"kind": TEXTAREA, "in_list": False},
            measure_id={"in_list": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
        ),
        search=("content", "standard"),
        title_field="content",
        default_sort=("seq", False),
    )
)

INSPECTION_PLAN = register(
    TableSpec(
        name="inspection_plan",
        page="pages/risk_inspection_plan.py",
        model=InspectionPlan,
        module=Module.RISK,
        fields=risk_fields(
            InspectionPlan,
            "name",
            "plan_type",
            "cycle_days",
            "checklist_id",
            "enterprise_id",
            "department_id",
            "assignee_id",
            "checkin_required",
            "active",
            "starts_on",
            "ends_on",
            plan_type={"filter": True},
            checklist_id={"filter": True, "in_list": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            active={"filter": True},
            starts_on={"in_list": False},
            ends_on={"in_list": False},
        ),
        search=("name",),
        default_sort=("name", False),
        scope=ASSIGNEE_SCOPE,
    )
)

INSPECTION_TASK = register(
    TableSpec(
        name="inspection_task",
        page="pages/risk_inspection_task.py",
        model=InspectionTask,
        module=Module.RISK,
        fields=risk_fields(
            InspectionTask,
            "name",
            "plan_id",
            "due_date",
            "enterprise_id",
            "department_id",
            "assignee_id",
            "state",
            "done_at",
            "result",
            "issues_found",
            "checkin_location",
            "checkin_at",
            "remark",
            plan_id={"filter": True, "in_list": False},
            due_date={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            state={"filter": True},
            result={"filter": True},
            checkin_location={"in_list": False},
            checkin_at={**COMPUTED, "in_list": False, "label": "field.inspection.checkin_at"},
            remark={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "checkin_location"),
        default_sort=("due_date", True),
        scope=ASSIGNEE_SCOPE,
        presets={"overdue": Preset("inspection.preset.overdue", where=overdue_clause)},
    )
)

# A task's lines are written by the task generator and ticked on the inspector's page
# (core.inspection.rounds), never typed in a generic form: no create, no page of their own.
INSPECTION_TASK_ITEM = register(
    TableSpec(
        name="inspection_task_item",
        model=InspectionTaskItem,
        module=Module.RISK,
        fields=risk_fields(
            InspectionTaskItem,
            "task_id",
            "seq",
            "content",
            "standard",
            "result",
            "remark",
            "hazard_id",
            "checked_at",
            "enterprise_id",
            "department_id",
            task_id={"filter": True, "label": "field.inspection.task_id"},
            standard={"kind": TEXTAREA, "in_list": False},
            result={"filter": True, "label": "field.inspection.item_result"},
            remark={"kind": TEXTAREA},
            hazard_id={"label": "field.inspection.hazard_id"},
            checked_at={**COMPUTED, "label": "field.inspection.checked_at"},
            enterprise_id={"filter": True, "in_list": False},
            department_id={"filter": True, "in_list": False},
        ),
        search=("content", "remark"),
        title_field="content",
        default_sort=("seq", False),
        allow_create=False,
    )
)
