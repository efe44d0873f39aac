"""CRUD declarations for compliance: regulation library, clauses, knowledge base and the
self-assessment templates, items and results."""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from core.compliance.flow import article_opened, assessment_opened
from core.compliance.rules import before_save_clause, before_save_result
from core.crud.fields import CHOICE, TAGS, TEXTAREA, FieldSpec, fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE, Audience, ScopeColumns
from models.compliance import KbDocument, Regulation, RegulationClause
from models.compliance_assessment import (
    AssessmentItem,
    AssessmentResult,
    AssessmentState,
    AssessmentTemplate,
)
from models.enums import Module

SHARED = {"code", "name", "enterprise_id", "department_id", "description", "status"}
COMPUTED = {"in_form": False}


def _label(col: str, **more: Any) -> dict[str, Any]:
    """Compliance wording under ``field.compliance.<col>`` (title, level, text, ... mean other
    things in other modules, and a key defined twice differently fails at load)."""
    return {"label": f"field.compliance.{col}", **more}


def _fields(
    model: type[SQLModel], *names: str, **overrides: dict[str, Any]
) -> tuple[FieldSpec, ...]:
    return fields(
        model,
        *names,
        **{n: {**({} if n in SHARED else _label(n)), **overrides.get(n, {})} for n in names},
    )


REGULATION = register(
    TableSpec(
        name="regulation",
        model=Regulation,
        module=Module.COMPLIANCE,
        page="pages/compliance_regulation.py",
        fields=_fields(
            Regulation,
            "code",
            "title",
            "doc_no",
            "level",
            "issuing_body",
            "effective_on",
            "status",
            "replaced_by",
            "summary",
            level={"filter": True},
            status={"filter": True},
            effective_on={"filter": True},
            replaced_by={"in_list": False},
            summary={"kind": TEXTAREA, "in_list": False},
        ),
        search=("title", "doc_no", "code", "summary"),
        title_field="title",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "R{n}", "title": "样例法规{n}"},
    )
)

REGULATION_CLAUSE = register(
    TableSpec(
        name="regulation_clause",
        parent="regulation_id",
        model=RegulationClause,
        module=Module.COMPLIANCE,
        page="pages/compliance_regulation_clause.py",
        fields=_fields(
            RegulationClause,
            "code",
            "regulation_id",
            "clause_no",
            "text",
            "module",
            "regulation_code",
            regulation_id={"filter": True, "required": True},
            text={"kind": TEXTAREA},
            module={
                "kind": CHOICE,
                "choices": tuple(m.value for m in Module),
                "choice_prefix": "module",
                "filter": True,
            },
            regulation_code={"in_form": False, "in_io": False, "in_list": False},
        ),
        search=("clause_no", "text", "code"),
        title_field="code",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        before_save=before_save_clause,
        example={"code": "C{n}"},
    )
)

KB_DOCUMENT = register(
    TableSpec(
        name="kb_document",
        model=KbDocument,
        module=Module.COMPLIANCE,
        page="pages/compliance_kb_document.py",
        fields=_fields(
            KbDocument,
            "title",
            "category",
            "tags",
            "body",
            "regulation_id",
            "source_incident",
            "published_on",
            "state",
            "enterprise_id",
            "department_id",
            category={"filter": True},
            tags={"kind": TAGS},
            body={"kind": TEXTAREA, "in_list": False},
            regulation_id={"in_list": False},
            published_on={"filter": True},
            state={**COMPUTED, "filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
        ),
        search=("title", "body", "source_incident"),
        title_field="title",
        default_sort=("published_on", True),
        # the enterprise's audience reads published articles; drafts stay with the editors
        scope=ScopeColumns(audience=Audience()),
        after_create=article_opened,
        state_field="state",
    )
)

ASSESSMENT_TEMPLATE = register(
    TableSpec(
        name="assessment_template",
        model=AssessmentTemplate,
        module=Module.COMPLIANCE,
        page="pages/compliance_assessment_template.py",
        fields=_fields(
            AssessmentTemplate,
            "name",
            "standard",
            "version",
            "description",
            name={"unique": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "standard"),
        default_sort=("name", False),
        scope=REFERENCE_SCOPE,
        example={"name": "样例模板{n}"},
    )
)

ASSESSMENT_ITEM = register(
    TableSpec(
        name="assessment_item",
        parent="template_id",
        model=AssessmentItem,
        module=Module.COMPLIANCE,
        page="pages/compliance_assessment_item.py",
        fields=_fields(
            AssessmentItem,
            "template_id",
            "code",
            "element",
            "requirement",
            "method",
            "metric",
            "max_score",
            "position",
            template_id={"filter": True},
            element={"filter": True},
            requirement={"kind": TEXTAREA},
            method={"filter": True},
            position={"in_list": False},
        ),
        search=("code", "element", "requirement"),
        title_field="code",
        default_sort=("position", False),
        scope=REFERENCE_SCOPE,
    )
)

ASSESSMENT_RESULT = register(
    TableSpec(
        name="assessment_result",
        model=AssessmentResult,
        module=Module.COMPLIANCE,
        page="pages/compliance_assessment_result.py",
        fields=_fields(
            AssessmentResult,
            "template_id",
            "period",
            "enterprise_id",
            "department_id",
            "assessed_on",
            "assessor",
            "scores",
            "total",
            "max_total",
            "score_rate",
            "gaps",
            "grade",
            "state",
            template_id={"filter": True},
            period={"filter": True},
            enterprise_id={"filter": True},
            scores={"in_list": False},
            total=COMPUTED,
            max_total={**COMPUTED, "in_list": False},
            score_rate=COMPUTED,
            gaps=COMPUTED,
            grade={**COMPUTED, "filter": True},
            state={**COMPUTED, "filter": True},
        ),
        search=("period", "assessor"),
        title_field="period",
        default_sort=("period", True),
        before_save=before_save_result,
        after_create=assessment_opened,
        state_field="state",
        locked=lambda result: result.state == AssessmentState.REVIEWED,
    )
)
