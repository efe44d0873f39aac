"""CRUD declarations for hazardous work permits and their GB 30871 reference lists."""

from __future__ import annotations

from functools import partial
from typing import Any

from core.crud.fields import TEXTAREA, FieldSpec, module_fields
from core.crud.registry import Preset, TableSpec, register
from core.permit.flow import EDITABLE, opened, reading_saved
from core.permit.in_force import in_force_where, overdue_to_close_where
from core.permit.rules import before_save_permit, before_save_reading, before_save_signature
from core.permit.templates import before_save_template
from core.rbac import REFERENCE_SCOPE, ScopeColumns
from models.enums import Module
from models.permit import Permit, PermitGasReading, PermitSignature
from models.permit_reference import (
    GasLimit,
    PermitGrade,
    PermitMeasureItem,
    PermitTemplate,
    PermitType,
)

# field.<column> keys defined in core.json with the wording we want; the rest get
# field.permit.<column> so a sibling module's wording of the same column never clashes.
SHARED = {"code", "name", "name_en", "description", "enterprise_id", "department_id", "position"}


_fields = partial(module_fields, prefix="permit", shared=SHARED)


def _reference(name: str, model: Any, flds: tuple[FieldSpec, ...], **kw: Any) -> TableSpec:
    return register(
        TableSpec(
            name=name,
            model=model,
            module=Module.PERMIT,
            page=f"pages/permit_{name}.py",
            nav_group="nav.reference",
            fields=flds,
            scope=REFERENCE_SCOPE,
            **kw,
        )
    )


PERMIT_TYPE = _reference(
    "permit_type",
    PermitType,
    _fields(
        PermitType,
        "code",
        "name",
        "name_en",
        "requires_gas_analysis",
        "default_validity_hours",
        "clause",
    ),
    search=("code", "name", "name_en"),
    default_sort=("code", False),
    example={"code": "X{n}", "default_validity_hours": 8},
)

PERMIT_GRADE = _reference(
    "permit_grade",
    PermitGrade,
    _fields(
        PermitGrade,
        "code",
        "name",
        "name_en",
        "type_code",
        "rank",
        "validity_hours",
        "bound_min",
        "bound_max",
        "bound_unit",
        "description",
        type_code={"filter": True},
        description={"kind": TEXTAREA, "in_list": False},
    ),
    search=("code", "name", "name_en"),
    default_sort=("code", False),
    example={"code": "G{n}", "rank": 1, "validity_hours": 8},
)

PERMIT_MEASURE_ITEM = _reference(
    "permit_measure_item",
    PermitMeasureItem,
    _fields(
        PermitMeasureItem,
        "code",
        "type_code",
        "position",
        "text",
        "mandatory",
        type_code={"filter": True},
        text={"kind": TEXTAREA},
    ),
    search=("code", "text"),
    title_field="code",
    default_sort=("code", False),
    example={"code": "M{n}"},
)

GAS_LIMIT = _reference(
    "gas_limit",
    GasLimit,
    _fields(
        GasLimit,
        "code",
        "type_code",
        "gas",
        "unit",
        "min_value",
        "max_value",
        "lel_min",
        "lel_max",
        "basis",
        "clause",
        "max_sample_age_min",
        type_code={"filter": True},
        gas={"filter": True},
    ),
    search=("code", "basis", "clause"),
    title_field="code",
    default_sort=("code", False),
    example={"code": "L{n}", "max_sample_age_min": 30},
)

PERMIT_TEMPLATE = _reference(
    "permit_template",
    PermitTemplate,
    _fields(
        PermitTemplate,
        "code",
        "name",
        "type_code",
        "version",
        "is_default",
        "form_fields",
        "measure_codes",
        "approval_steps",
        "gases",
        "worker_certificates",
        "reading_interval_min",
        type_code={"filter": True},
        form_fields={"in_list": False},
        measure_codes={"in_list": False},
        approval_steps={"in_list": False},
        worker_certificates={"in_list": False},
    ),
    search=("code", "name"),
    default_sort=("code", False),
    before_save=before_save_template,
    example={
        "code": "T{n}",
        "is_default": False,
        "form_fields": [],
        "measure_codes": [],
        "gases": [],
        "approval_steps": [{"role": "unit_head"}],
        "reading_interval_min": 60,
    },
)

PERMIT = register(
    TableSpec(
        name="permit",
        page="pages/permit_permit.py",
        presets={
            "in_force": Preset("permit.filter.in_force", where=in_force_where),
            "overdue_close": Preset("permit.filter.overdue_close", where=overdue_to_close_where),
        },
        model=Permit,
        module=Module.PERMIT,
        fields=_fields(
            Permit,
            "number",
            "permit_type_id",
            "grade_id",
            "state",
            "enterprise_id",
            "department_id",
            "area_id",
            "location",
            "x",
            "y",
            "planned_start",
            "planned_end",
            "content",
            "applicant_id",
            "guardian_id",
            "workers",
            "jsa",
            "cancel_reason",
            "closed_at",
            "template_id",
            "parent_id",
            "form_values",
            "started_at",
            "completed_at",
            "suspend_reason",
            number={"in_form": False, "in_io": False},
            permit_type_id={"filter": True},
            grade_id={"filter": True},
            state={"filter": True, "in_form": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True},
            planned_start={"filter": True},
            x={"in_list": False},
            y={"in_list": False},
            content={"kind": TEXTAREA, "in_list": False},
            workers={"in_list": False},
            jsa={"in_list": False},
            cancel_reason={"in_list": False, "in_form": False},
            closed_at={"in_list": False, "in_form": False},
            template_id={"in_list": False, "in_form": False},
            parent_id={"in_list": False, "in_form": False},
            form_values={"in_list": False},
            started_at={"in_list": False, "in_form": False},
            completed_at={"in_list": False, "in_form": False},
            suspend_reason={"in_list": False, "in_form": False},
        ),
        search=("number", "location", "content"),
        title_field="number",
        default_sort=("planned_start", True),
        # the guardian reaches the permit they watch over, whoever applied for it
        scope=ScopeColumns(about="applicant_id", assigned=("guardian_id",)),
        before_save=before_save_permit,
        after_create=opened,
        state_field="state",
        locked=lambda p: p.state not in EDITABLE,
        # generic sample types (code X<n>) have no grade of their own: leave the grade empty
        example={"grade_id": None},
    )
)

PERMIT_GAS_READING = register(
    TableSpec(
        name="permit_gas_reading",
        parent="permit_id",
        page="pages/permit_permit_gas_reading.py",
        model=PermitGasReading,
        module=Module.PERMIT,
        fields=_fields(
            PermitGasReading,
            "permit_id",
            "gas",
            "value",
            "unit",
            "medium_lel",
            "measured_at",
            "tester_id",
            "sample_point",
            "within_limit",
            "enterprise_id",
            "department_id",
            gas={"filter": True},
            measured_at={"filter": True},
            within_limit={"filter": True, "in_form": False, "in_io": False},
            enterprise_id={"in_form": False, "in_io": False, "filter": True},
            department_id={"in_form": False, "in_io": False},
        ),
        search=("sample_point",),
        title_field="gas",
        default_sort=("measured_at", True),
        before_save=before_save_reading,
        after_create=reading_saved,
    )
)

PERMIT_SIGNATURE = register(
    TableSpec(
        name="permit_signature",
        parent="permit_id",
        page="pages/permit_permit_signature.py",
        model=PermitSignature,
        module=Module.PERMIT,
        fields=_fields(
            PermitSignature,
            "permit_id",
            "step",
            "role",
            "signer_id",
            "decision",
            "comment",
            "signed_at",
            "signer_name",
            "withdrawn_at",
            "enterprise_id",
            "department_id",
            role={"filter": True},
            decision={"filter": True},
            signed_at={"filter": True},
            enterprise_id={"in_form": False, "in_io": False, "filter": True},
            department_id={"in_form": False, "in_io": False},
        ),
        search=("comment",),
        title_field="role",
        default_sort=("signed_at", True),
        before_save=before_save_signature,
        # signatures come from the approval chain only, and are never edited afterwards
        allow_create=False,
        locked=lambda _s: True,
    )
)
