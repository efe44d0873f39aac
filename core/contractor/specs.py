"""CRUD declarations for the contractor (相关方) module."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import SQLModel

from core.contractor.flow import (
    CLOSED_ADMISSIONS,
    CLOSED_VIOLATIONS,
    contractor_applied,
    violation_recorded,
)
from core.contractor.rules import (
    before_child,
    before_contractor,
    before_evaluation,
    before_worker,
)
from core.crud.fields import DERIVED, TEXTAREA, FieldSpec
from core.crud.fields import fields as _fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE, ScopeColumns
from models.contractor import (
    Contractor,
    ContractorEvaluation,
    ContractorProject,
    ContractorQualification,
    ContractorTrade,
    ContractorViolation,
    ContractorWorker,
)
from models.enums import Module

HIDDEN = {"in_list": False}
#: Moved by the workflow only (core.contractor.flow): shown and filtered, never edited.
BY_WORKFLOW = {"filter": True, "in_form": False}
#: A company's records name no person: nobody reads them as "about me".
COMPANY_SCOPE = ScopeColumns()
# Module-specific label keys for columns whose generic key (field.<column>) other modules use.
LABELS = {
    "area_id": "field.project_area",
    "start_on": "field.project_start_on",
    "end_on": "field.project_end_on",
    "safety_officer": "field.project_safety_officer",
    "id_number": "field.worker_id_number",
    "cert_no": "field.worker_cert_no",
    "occurred_on": "field.violation_date",
    "worker_id": "field.contractor_worker",
    "points": "field.violation_points",
    "fine": "field.violation_fine",
    "evaluated_on": "field.evaluation_date",
    "comments": "field.evaluation_comments",
    "special_operation": "field.trade_special",
    "remarks": "field.contractor_remarks",
    "person_id": "field.worker_person",
}


fields = partial(_fields, label_keys=LABELS)


CONTRACTOR_TRADE = register(
    TableSpec(
        name="contractor_trade",
        model=ContractorTrade,
        module=Module.CONTRACTOR,
        page="pages/contractor_trade.py",
        nav_group="nav.reference",
        fields=fields(
            ContractorTrade,
            "code",
            "name",
            "name_en",
            "special_operation",
            "description",
            special_operation={"filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "CT{n}"},
    )
)

CONTRACTOR = register(
    TableSpec(
        name="contractor",
        model=Contractor,
        module=Module.CONTRACTOR,
        page="pages/contractor_contractor.py",
        fields=fields(
            Contractor,
            "name",
            "credit_code",
            "kind",
            "state",
            "safety_rating",
            "blacklisted",
            "contact",
            "phone",
            "address",
            "admitted_on",
            "enterprise_id",
            "department_id",
            "remarks",
            credit_code={"label": "field.credit_code"},
            kind={"filter": True, "label": "field.contractor_kind"},
            state={**BY_WORKFLOW, "label": "field.contractor_state"},
            safety_rating={"filter": True},
            blacklisted=BY_WORKFLOW,
            admitted_on={"in_form": False},
            address=HIDDEN,
            enterprise_id={"filter": True},
            department_id={"filter": True, "in_list": False},
            remarks={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "credit_code", "contact", "phone"),
        default_sort=("name", False),
        before_save=before_contractor,
        scope=COMPANY_SCOPE,
        state_field="state",
        locked=lambda c: c.state in CLOSED_ADMISSIONS,
        after_create=contractor_applied,
    )
)


def _child(
    model: type[SQLModel], *names: str, **overrides: dict[str, Any]
) -> tuple[FieldSpec, ...]:
    """Fields of a table hanging off a contractor: scope columns follow the contractor."""
    return fields(
        model,
        *names,
        "enterprise_id",
        "department_id",
        **{
            "contractor_id": {"filter": True},
            "enterprise_id": DERIVED,
            "department_id": {**DERIVED, "in_list": False},
            **overrides,
        },
    )


CONTRACTOR_QUALIFICATION = register(
    TableSpec(
        name="contractor_qualification",
        parent="contractor_id",
        model=ContractorQualification,
        module=Module.CONTRACTOR,
        page="pages/contractor_qualification.py",
        fields=_child(
            ContractorQualification,
            "contractor_id",
            "kind",
            "title",
            "number",
            "issuer",
            "issued_on",
            "expires_on",
            kind={"filter": True, "label": "field.qualification_kind"},
            title={"label": "field.qualification_title"},
            number={"label": "field.qualification_number"},
            expires_on={"filter": True},
        ),
        search=("title", "number", "issuer"),
        title_field="title",
        default_sort=("expires_on", False),
        before_save=before_child,
        scope=COMPANY_SCOPE,
    )
)

CONTRACTOR_PROJECT = register(
    TableSpec(
        name="contractor_project",
        model=ContractorProject,
        module=Module.CONTRACTOR,
        page="pages/contractor_project.py",
        fields=_child(
            ContractorProject,
            "name",
            "contract_no",
            "contractor_id",
            "area_id",
            "start_on",
            "end_on",
            "safety_officer",
            "safety_terms",
            name={"label": "field.project_name"},
            start_on={"filter": True},
            end_on={"filter": True},
            area_id={"in_list": False},
            safety_terms={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "contract_no", "safety_officer"),
        default_sort=("start_on", True),
        before_save=before_child,
        scope=COMPANY_SCOPE,
    )
)

CONTRACTOR_WORKER = register(
    TableSpec(
        name="contractor_worker",
        model=ContractorWorker,
        module=Module.CONTRACTOR,
        page="pages/contractor_worker.py",
        fields=_child(
            ContractorWorker,
            "name",
            "contractor_id",
            "person_id",
            "trade_id",
            "status",
            "phone",
            "id_number",
            "cert_no",
            "cert_expires_on",
            "insurance_expires_on",
            "medical_expires_on",
            "training_passed_on",
            "exam_score",
            "exam_record_id",
            "pass_no",
            "pass_expires_on",
            name={"label": "field.worker_name"},
            person_id=HIDDEN,
            status={"filter": True, "label": "field.worker_status"},
            trade_id={"filter": True},
            id_number=HIDDEN,
            cert_no=HIDDEN,
            insurance_expires_on=HIDDEN,
            medical_expires_on=HIDDEN,
            # set by the passed entry exam (core.training.contractor_entry), never typed
            training_passed_on={**DERIVED, "filter": False, "in_list": False},
            exam_score={**DERIVED, "filter": False, "in_list": False},
            exam_record_id={**DERIVED, "filter": False, "in_list": False},
            pass_expires_on={"filter": True},
            cert_expires_on={"filter": True},
        ),
        search=("name", "phone", "pass_no"),
        default_sort=("name", False),
        before_save=before_worker,
        # the worker reads their own record (certificates, pass) whatever their scope
        scope=ScopeColumns(about="person_id"),
    )
)

CONTRACTOR_VIOLATION = register(
    TableSpec(
        name="contractor_violation",
        model=ContractorViolation,
        module=Module.CONTRACTOR,
        page="pages/contractor_violation.py",
        fields=_child(
            ContractorViolation,
            "occurred_on",
            "contractor_id",
            "worker_id",
            "description",
            "points",
            "fine",
            "state",
            occurred_on={"filter": True},
            worker_id={"in_list": True},
            description={"kind": TEXTAREA, "label": "field.violation_description"},
            state={**BY_WORKFLOW, "label": "field.violation_state"},
        ),
        search=("description",),
        title_field="description",
        default_sort=("occurred_on", True),
        before_save=before_child,
        scope=COMPANY_SCOPE,
        state_field="state",
        locked=lambda v: v.state in CLOSED_VIOLATIONS,
        after_create=violation_recorded,
    )
)

CONTRACTOR_EVALUATION = register(
    TableSpec(
        name="contractor_evaluation",
        model=ContractorEvaluation,
        module=Module.CONTRACTOR,
        page="pages/contractor_evaluation.py",
        fields=_child(
            ContractorEvaluation,
            "period",
            "contractor_id",
            "evaluated_on",
            "score",
            "rating",
            "comments",
            period={"filter": True, "label": "field.evaluation_period"},
            evaluated_on={"filter": True},
            score={"label": "field.evaluation_score"},
            rating={**DERIVED, "label": "field.safety_rating"},
            comments={"kind": TEXTAREA, "in_list": False},
        ),
        search=("period", "comments"),
        title_field="period",
        default_sort=("evaluated_on", True),
        before_save=before_evaluation,
        scope=COMPANY_SCOPE,
        example={"score": 85.0, "period": "2025"},
    )
)
