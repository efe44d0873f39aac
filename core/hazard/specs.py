"""CRUD declarations for the hazard module: the register, its categories and the SLA."""

from __future__ import annotations

from typing import Any

from core.crud.fields import TEXTAREA, fields
from core.crud.registry import Preset, TableSpec, register
from core.hazard.flow import opened
from core.hazard.overdue import overdue_filters
from core.hazard.rules import before_save_category, before_save_hazard
from core.rbac import REFERENCE_SCOPE, ScopeColumns
from models.enums import Module
from models.hazard import FINISHED_STATES, Hazard, HazardCategory, HazardSla

#: Excel import resolves each referenced table's names once per column and currently counts a
#: name twice when two columns point at the same table ("ambiguous"), so the second column of
#: a pair (owner department: derived from the owner; verifier) stays out of import/export.
ONE_PER_TABLE: dict[str, Any] = {"in_io": False}


def _label(col: str) -> dict[str, str]:
    """Hazard-specific wording (e.g. 隐患等级, not 风险等级) under ``field.hazard.<col>``."""
    return {"label": f"field.hazard.{col}"}


HAZARD_CATEGORY = register(
    TableSpec(
        name="hazard_category",
        model=HazardCategory,
        module=Module.HAZARD,
        page="pages/hazard_hazard_category.py",
        nav_group="nav.reference",
        fields=fields(
            HazardCategory,
            "code",
            "name",
            "name_en",
            "parent_code",
            "description",
            parent_code={**_label("parent_code"), "filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        before_save=before_save_category,
        example={"code": "T{n}", "parent_code": None},
    )
)

HAZARD_SLA = register(
    TableSpec(
        name="hazard_sla",
        model=HazardSla,
        module=Module.HAZARD,
        page="pages/hazard_hazard_sla.py",
        nav_group="nav.reference",
        fields=fields(
            HazardSla,
            "code",
            "level",
            "days",
            "description",
            level={**_label("level"), "filter": True},
            days=_label("sla_days"),
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "description"),
        title_field="code",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "SLA-{n}"},
    )
)

HAZARD = register(
    TableSpec(
        name="hazard",
        presets={"overdue": Preset("cockpit.filter.overdue", overdue_filters)},
        model=Hazard,
        module=Module.HAZARD,
        page="pages/hazard_hazard.py",
        fields=fields(
            Hazard,
            "number",
            "title",
            "level",
            "category_id",
            "source",
            "state",
            "enterprise_id",
            "department_id",
            "area_id",
            "location",
            "risk_point_id",
            "inspection_task_id",
            "accident_type_id",
            "description",
            "reporter_id",
            "found_at",
            "owner_id",
            "owner_department_id",
            "deadline",
            "extension_deadline",
            "measures",
            "cost",
            "rectified_at",
            "rectifier_id",
            "verifier_id",
            "verified_at",
            "closed_at",
            "repeat_of_id",
            number=_label("number"),
            title=_label("title"),
            level={**_label("level"), "filter": True},
            category_id={**_label("category_id"), "filter": True},
            source={**_label("source"), "filter": True},
            state={**_label("state"), "filter": True, "in_form": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={**_label("area_id"), "filter": True},
            location={**_label("location"), "in_list": False},
            risk_point_id={**_label("risk_point_id"), "in_list": False},
            inspection_task_id={**_label("inspection_task_id"), "in_list": False},
            accident_type_id={**_label("accident_type_id"), "filter": True, "in_list": False},
            description={**_label("description"), "kind": TEXTAREA, "in_list": False},
            reporter_id={**_label("reporter_id"), "in_list": False},
            found_at={**_label("found_at"), "filter": True},
            owner_id=_label("owner_id"),
            owner_department_id={**_label("owner_department_id"), "filter": True, **ONE_PER_TABLE},
            deadline={**_label("deadline"), "filter": True},
            extension_deadline={**_label("extension_deadline"), "in_list": False, "in_form": False},
            measures={**_label("measures"), "kind": TEXTAREA, "in_list": False},
            cost={**_label("cost"), "in_list": False},
            rectified_at={**_label("rectified_at"), "in_list": False},
            rectifier_id={
                **_label("rectifier_id"),
                "in_list": False,
                "in_form": False,
                **ONE_PER_TABLE,
            },
            verifier_id={**_label("verifier_id"), "in_list": False, **ONE_PER_TABLE},
            verified_at={**_label("verified_at"), "in_list": False},
            closed_at={**_label("closed_at"), "in_list": False},
            repeat_of_id={**_label("repeat_of_id"), "in_list": False},
        ),
        search=("number", "title", "location", "description"),
        title_field="number",
        default_sort=("found_at", True),
        before_save=before_save_hazard,
        scope=ScopeColumns(assigned=("owner_id",)),
        after_create=opened,
        state_field="state",
        locked=lambda h: h.state in FINISHED_STATES,
        example={"repeat_of_id": None, "risk_point_id": None, "inspection_task_id": None},
    )
)
