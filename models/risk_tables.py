"""CRUD declarations of the risk module: scoring reference lists, the risk register and the
inspection plans and tasks.

Columns whose names other modules are likely to use with another wording (``state``,
``due_date``, ``content``...) get labels under ``field.risk.*`` so catalogues never clash.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import SQLModel

from core.crud.fields import TEXTAREA, FieldSpec, fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE
from core.risk import inherit_point_scope, score_point
from core.scoring_scheme import guard_row_delete, guard_rows
from models.enums import Module
from models.risk import LecFactor, LsFactor, RiskLevelRule
from models.risk_inspection import (
    InspectionCheckItem,
    InspectionChecklist,
    InspectionPlan,
    InspectionTask,
    InspectionTaskItem,
)
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit

OWN_LABEL = frozenset(
    [
        "area_id",
        "owner_id",
        "unit_id",
        "point_id",
        "accident_type_id",
        "responsible_person_id",
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
        "method",
        "factor",
        "value",
        "meaning",
        "meaning_en",
        "level",
        "colour",
    ]
)
COMPUTED = {"in_form": False}


def risk_fields(model: type[SQLModel], *names: str, **overrides: Any) -> tuple[FieldSpec, ...]:
    """``fields()`` with module labels for the generic column names in ``OWN_LABEL``."""
    return tuple(
        replace(f, label=f.label or f"field.risk.{f.name}") if f.name in OWN_LABEL else f
        for f in fields(model, *names, **overrides)
    )


def _reference(
    name: str,
    model: type[SQLModel],
    *cols: str,
    example: dict[str, Any] | None = None,
    **overrides: Any,
) -> TableSpec:
    """A table of a scoring scheme: its rows freeze once points are scored under the scheme
    (``core.scoring_scheme``), so the hooks refuse edits, additions and deletions then."""
    return register(
        TableSpec(
            name=name,
            model=model,
            module=Module.RISK,
            page=f"pages/risk_{name}.py",
            nav_group="nav.reference",
            fields=risk_fields(model, "scheme_id", *cols, scheme_id={"filter": True}, **overrides),
            search=("code", *(c for c in ("meaning", "meaning_en") if c in cols)),
            title_field="code",
            default_sort=("code", False),
            scope=REFERENCE_SCOPE,
            before_save=guard_rows(model),
            before_delete=guard_row_delete,
            example={"code": "X{n}", **(example or {})},
        )
    )


LEC_FACTOR = _reference(
    "lec_factor",
    LecFactor,
    "code",
    "factor",
    "value",
    "meaning",
    "meaning_en",
    factor={"filter": True},
)
LS_FACTOR = _reference(
    "ls_factor",
    LsFactor,
    "code",
    "factor",
    "value",
    "meaning",
    "meaning_en",
    factor={"filter": True},
    meaning={"kind": TEXTAREA},
    meaning_en={"kind": TEXTAREA, "in_list": False},
    example={"value": 3},
)
RISK_LEVEL_RULE = _reference(
    "risk_level_rule",
    RiskLevelRule,
    "code",
    "method",
    "level",
    "min_exclusive",
    "max_inclusive",
    "colour",
    method={"filter": True, "label": "field.scoring", "in_form": False},
    level={"filter": True},
)

RISK_UNIT = register(
    TableSpec(
        name="risk_unit",
        page="pages/risk_risk_unit.py",
        model=RiskUnit,
        module=Module.RISK,
        fields=risk_fields(
            RiskUnit,
            "name",
            "code",
            "kind",
            "enterprise_id",
            "department_id",
            "area_id",
            "owner_id",
            "description",
            kind={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "code"),
        default_sort=("name", False),
    )
)

_SCORES = {
    c: {"in_list": False}
    for s in ("inherent", "residual")
    for c in (f"{s}_l", f"{s}_e", f"{s}_c", f"{s}_ls_l", f"{s}_ls_s")
}
RISK_POINT = register(
    TableSpec(
        name="risk_point",
        page="pages/risk_risk_point.py",
        model=RiskPoint,
        module=Module.RISK,
        fields=risk_fields(
            RiskPoint,
            "name",
            "code",
            "unit_id",
            "enterprise_id",
            "department_id",
            "area_id",
            "responsible_person_id",
            "method",
            "scoring",
            "scheme_id",
            "hazard_factors",
            "accident_type_id",
            "other_accident_types",
            "inherent_l",
            "inherent_e",
            "inherent_c",
            "inherent_ls_l",
            "inherent_ls_s",
            "inherent_d",
            "inherent_r",
            "inherent_level",
            "residual_l",
            "residual_e",
            "residual_c",
            "residual_ls_l",
            "residual_ls_s",
            "residual_d",
            "residual_r",
            "residual_level",
            "current_level",
            "controls_failing",
            unit_id={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True, "in_list": False},
            responsible_person_id={"in_list": False},
            method={"filter": True},
            scoring={"filter": True, "in_list": False},
            scheme_id={**COMPUTED, "in_list": False, "filter": True},
            hazard_factors={"kind": TEXTAREA},
            accident_type_id={"filter": True},
            other_accident_types={"in_list": False},
            inherent_d=COMPUTED,
            inherent_r={**COMPUTED, "in_list": False},
            inherent_level={**COMPUTED, "filter": True},
            residual_d=COMPUTED,
            residual_r={**COMPUTED, "in_list": False},
            residual_level={**COMPUTED, "filter": True},
            current_level={**COMPUTED, "filter": True},
            controls_failing={**COMPUTED, "filter": True},
            **_SCORES,
        ),
        search=("name", "code", "hazard_factors"),
        default_sort=("residual_d", True),
        before_save=score_point,
        example={
            "scoring": "lec",
            "inherent_l": 3,
            "inherent_e": 6,
            "inherent_c": 15,
            "residual_l": 1,
            "residual_e": 6,
            "residual_c": 7,
            "inherent_ls_l": None,
            "inherent_ls_s": None,
            "residual_ls_l": None,
            "residual_ls_s": None,
        },
    )
)

RISK_MEASURE = register(
    TableSpec(
        name="risk_measure",
        page="pages/risk_risk_measure.py",
        model=RiskMeasure,
        module=Module.RISK,
        fields=risk_fields(
            RiskMeasure,
            "point_id",
            "measure_class",
            "content",
            "department_id",
            "responsible_person_id",
            "enterprise_id",
            point_id={"filter": True},
            measure_class={"filter": True},
            content={"kind": TEXTAREA},
            department_id={"filter": True},
            enterprise_id={"in_form": False, "in_io": False, "filter": True},
        ),
        search=("content",),
        title_field="content",
        default_sort=("point_id", False),
        before_save=inherit_point_scope,
    )
)

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
    )
)

# A task's lines are written by the task generator and ticked on the inspector's page
# (core.inspection), never typed in a generic form: no create, no page of their own.
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
