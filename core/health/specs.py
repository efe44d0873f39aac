"""CRUD declarations for occupational health: factors, exposures, monitoring, exams, PPE."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from core.crud.fields import TEXTAREA, FieldSpec, fields
from core.crud.registry import TableSpec, register
from core.health.rules import (
    before_save_exam,
    before_save_exposure,
    before_save_monitoring,
    before_save_ppe_issue,
    before_save_ppe_standard,
)
from core.rbac import REFERENCE_SCOPE, ScopeColumns
from models.enums import Module
from models.health import FactorExposure, HealthExam, MonitoringResult, OccupationalFactor
from models.health_ppe import PpeIssue, PpeItem, PpeStandard

COMPUTED = {"in_form": False}
#: A person's exam or PPE issue is theirs to read, whoever recorded it.
ABOUT_PERSON = ScopeColumns(about="person_id")
DERIVED_SCOPE = {"in_form": False, "in_io": False, "filter": True}


SHARED = {"code", "name", "name_en", "enterprise_id", "department_id", "post_id", "person_id"}


def _label(col: str, **more: object) -> dict[str, object]:
    """Health wording under ``field.health.<col>``: generic column names (unit, result, ...)
    mean other things in other modules, and a key defined twice differently fails at load."""
    return {"label": f"field.health.{col}", **more}


def _fields(
    model: type[SQLModel], *names: str, **overrides: dict[str, Any]
) -> tuple[FieldSpec, ...]:
    """``fields`` with the module's label on every column that is not shared project-wide."""
    return fields(
        model,
        *names,
        **{n: {**({} if n in SHARED else _label(n)), **overrides.get(n, {})} for n in names},
    )


OCCUPATIONAL_FACTOR = register(
    TableSpec(
        name="occupational_factor",
        model=OccupationalFactor,
        module=Module.HEALTH,
        page="pages/health_occupational_factor.py",
        nav_group="nav.reference",
        fields=_fields(
            OccupationalFactor,
            "code",
            "name",
            "name_en",
            "category",
            "cas_no",
            "limit_kind",
            "limit_value",
            "stel_value",
            "unit",
            "exam_interval_months",
            "disease",
            "source",
            "to_check",
            category=_label("category", filter=True),
            unit=_label("unit"),
            source=_label("source", in_list=False),
            disease={"in_list": False},
            to_check={"filter": True},
        ),
        search=("code", "name", "name_en", "cas_no"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "F{n}"},
    )
)

FACTOR_EXPOSURE = register(
    TableSpec(
        name="factor_exposure",
        model=FactorExposure,
        module=Module.HEALTH,
        page="pages/health_factor_exposure.py",
        fields=_fields(
            FactorExposure,
            "factor_id",
            "work_content",
            "enterprise_id",
            "department_id",
            "post_id",
            "area_id",
            "exposed_count",
            "hours_per_day",
            "controls",
            factor_id={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            post_id={"filter": True},
            area_id=_label("area_id", filter=True),
            controls={"kind": TEXTAREA, "in_list": False},
        ),
        search=("work_content", "controls"),
        title_field="work_content",
        default_sort=("factor_id", False),
        before_save=before_save_exposure,
    )
)

MONITORING_RESULT = register(
    TableSpec(
        name="monitoring_result",
        model=MonitoringResult,
        module=Module.HEALTH,
        page="pages/health_monitoring_result.py",
        fields=_fields(
            MonitoringResult,
            "sampled_on",
            "factor_id",
            "point",
            "enterprise_id",
            "department_id",
            "area_id",
            "value",
            "unit",
            "limit_value",
            "exceeded",
            "agency",
            "report_no",
            sampled_on={"filter": True},
            factor_id={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id=_label("area_id", filter=True),
            value=_label("value"),
            unit=_label("unit", **COMPUTED),
            limit_value={**COMPUTED},
            exceeded={**COMPUTED, "filter": True},
            report_no={"in_list": False},
        ),
        search=("point", "agency", "report_no"),
        title_field="point",
        default_sort=("sampled_on", True),
        before_save=before_save_monitoring,
    )
)

HEALTH_EXAM = register(
    TableSpec(
        name="health_exam",
        model=HealthExam,
        module=Module.HEALTH,
        page="pages/health_health_exam.py",
        fields=_fields(
            HealthExam,
            "person_id",
            "kind",
            "exam_date",
            "factor_id",
            "institution",
            "result",
            "conclusion",
            "follow_up",
            "follow_up_done",
            "next_due",
            "enterprise_id",
            "department_id",
            kind=_label("kind", filter=True),
            exam_date={"filter": True},
            factor_id={"filter": True},
            result=_label("result", filter=True),
            conclusion={"kind": TEXTAREA, "in_list": False},
            follow_up={"filter": True},
            next_due={**COMPUTED, **_label("next_due"), "filter": True},
            enterprise_id=DERIVED_SCOPE,
            department_id=DERIVED_SCOPE,
        ),
        search=("institution", "conclusion"),
        title_field="id",
        default_sort=("exam_date", True),
        before_save=before_save_exam,
        scope=ABOUT_PERSON,
    )
)

PPE_ITEM = register(
    TableSpec(
        name="ppe_item",
        model=PpeItem,
        module=Module.HEALTH,
        page="pages/health_ppe_item.py",
        nav_group="nav.reference",
        fields=_fields(
            PpeItem,
            "code",
            "name",
            "name_en",
            "category",
            "standard_no",
            "replacement_months",
            "unit",
            category=_label("ppe_category", filter=True),
            unit=_label("ppe_unit"),
        ),
        search=("code", "name", "name_en", "standard_no"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "P{n}"},
    )
)

PPE_STANDARD = register(
    TableSpec(
        name="ppe_standard",
        model=PpeStandard,
        module=Module.HEALTH,
        page="pages/health_ppe_standard.py",
        fields=_fields(
            PpeStandard,
            "post_id",
            "ppe_item_id",
            "quantity",
            "cycle_months",
            "note",
            "enterprise_id",
            "department_id",
            post_id={"filter": True},
            ppe_item_id={"filter": True},
            quantity=_label("quantity"),
            note=_label("note", in_list=False),
            enterprise_id=DERIVED_SCOPE,
            department_id=DERIVED_SCOPE,
        ),
        search=("note",),
        title_field="id",
        default_sort=("post_id", False),
        before_save=before_save_ppe_standard,
    )
)

PPE_ISSUE = register(
    TableSpec(
        name="ppe_issue",
        model=PpeIssue,
        module=Module.HEALTH,
        page="pages/health_ppe_issue.py",
        fields=_fields(
            PpeIssue,
            "issue_date",
            "person_id",
            "ppe_item_id",
            "quantity",
            "next_due",
            "signed",
            "enterprise_id",
            "department_id",
            issue_date={"filter": True},
            person_id={"filter": True},
            ppe_item_id={"filter": True},
            quantity=_label("quantity"),
            next_due={**COMPUTED, **_label("next_due"), "filter": True},
            signed={"filter": True},
            enterprise_id=DERIVED_SCOPE,
            department_id=DERIVED_SCOPE,
        ),
        search=(),
        title_field="id",
        default_sort=("issue_date", True),
        before_save=before_save_ppe_issue,
        scope=ABOUT_PERSON,
    )
)
