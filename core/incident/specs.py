"""CRUD declarations for the incident module (事故事件), and the GB 6441 accident types that
risk points, incidents and emergency plans share."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import Session

from core.crud.fields import TEXTAREA, fields, module_fields
from core.crud.registry import TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.incident.flow import action_opened, incident_opened
from core.incident.rules import accident_grade, grade_rules, next_number
from core.rbac import REFERENCE_SCOPE, Actor, ScopeColumns
from models.enums import Module
from models.incident import (
    AccidentGrade,
    Incident,
    IncidentCause,
    IncidentCauseCategory,
    IncidentInvestigation,
    IncidentKind,
    IncidentState,
)
from models.incident_action import (
    CorrectiveAction,
    CorrectiveActionSource,
    CorrectiveActionState,
)
from models.reference import AccidentType

SHARED = {"name", "code", "kind", "name_en", "description", "enterprise_id", "department_id"}


_fields = partial(module_fields, prefix="incident", shared=SHARED)
#: Columns the corrective action's workflow steps fill: shown and exported, never typed in.
DONE_BY_FLOW: dict[str, Any] = {"in_form": False, "in_list": False}


def _follow_incident(session: Session, values: dict[str, Any]) -> None:
    """Investigation, causes and actions live where their incident happened."""
    incident = session.get(Incident, values.get("incident_id") or -1)
    if incident is not None:
        values["enterprise_id"] = incident.enterprise_id
        values["department_id"] = incident.department_id


def _made_anonymous(session: Session, values: dict[str, Any], actor: Actor) -> bool:
    """A signed-in user marking a report anonymous: its row and audit trail would still name
    them, so only the anonymous report (``report_near_miss``) makes one."""
    before = session.get(Incident, values.get("id") or -1)
    already = before is not None and before.anonymous
    return bool(values.get("anonymous")) and not already and actor.user_id is not None


def _incident_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Grade from art. 3, a number when none was given, and anonymity only for near misses."""
    kind = values.get("kind") or IncidentKind.NEAR_MISS
    casualties = (values.get("deaths") or 0) + (values.get("serious_injuries") or 0)
    problems = []
    if values.get("anonymous") and kind != IncidentKind.NEAR_MISS:
        problems.append(Problem("anonymous", "validation.incident_anonymous", {}))
    if _made_anonymous(session, values, actor):
        problems.append(Problem("anonymous", "validation.incident_anonymous_report", {}))
    if kind == IncidentKind.NEAR_MISS and casualties + (values.get("minor_injuries") or 0):
        problems.append(Problem("kind", "validation.incident_near_miss_injuries", {}))
    if problems:
        raise ValidationFailed(problems)
    if values.get("anonymous"):
        values["reporter"] = None
    values["grade_id"] = None
    if kind != IncidentKind.NEAR_MISS:
        rule = accident_grade(
            values.get("deaths") or 0,
            values.get("serious_injuries") or 0,
            values.get("direct_loss") or 0,
            grade_rules(session),
        )
        values["grade_id"] = getattr(rule, "id", None)
    if not values.get("number") and values.get("occurred_at"):
        values["number"] = next_number(session, kind, values["occurred_at"])


def _investigation_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _follow_incident(session, values)
    bones = values.get("fishbone") or {}
    if isinstance(bones, list) and not bones:
        bones = {}
    known = {c.value for c in IncidentCauseCategory}
    if not isinstance(bones, dict) or not set(bones) <= known:
        raise ValidationFailed([Problem("fishbone", "validation.incident_fishbone", {})])
    values["fishbone"] = bones


def _cause_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _follow_incident(session, values)


def _action_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """An incident's action needs the incident, and a closed incident takes no new action
    (it would close with that action open)."""
    if values.get("source") == CorrectiveActionSource.INCIDENT and not values.get("incident_id"):
        raise ValidationFailed([Problem("incident_id", "validation.required", {})])
    incident = session.get(Incident, values.get("incident_id") or -1)
    if incident is not None and incident.state == IncidentState.CLOSED:
        raise ValidationFailed([Problem("incident_id", "validation.incident_closed", {})])
    _follow_incident(session, values)


ACCIDENT_GRADE = register(
    TableSpec(
        name="accident_grade",
        page="pages/incident_accident_grade.py",
        nav_group="nav.reference",
        model=AccidentGrade,
        module=Module.INCIDENT,
        fields=_fields(
            AccidentGrade,
            "code",
            "name",
            "name_en",
            "rank",
            "min_deaths",
            "min_serious_injuries",
            "min_direct_loss",
        ),
        search=("code", "name", "name_en"),
        default_sort=("rank", True),
        scope=REFERENCE_SCOPE,
        example={"code": "G{n}"},
    )
)

INCIDENT = register(
    TableSpec(
        name="incident",
        page="pages/incident_incident.py",
        model=Incident,
        module=Module.INCIDENT,
        fields=_fields(
            Incident,
            "number",
            "title",
            "kind",
            "occurred_at",
            "enterprise_id",
            "department_id",
            "area_id",
            "accident_type_id",
            "deaths",
            "serious_injuries",
            "minor_injuries",
            "direct_loss",
            "grade_id",
            "anonymous",
            "reporter",
            "description",
            "immediate_measures",
            "lessons",
            "state",
            number={"required": False},
            kind={"filter": True},
            occurred_at={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True, "in_list": False},
            accident_type_id={"filter": True},
            grade_id={"filter": True, "in_form": False},
            anonymous={"filter": True, "in_list": False, "in_form": False},
            state={"filter": True, "in_form": False},
            minor_injuries={"in_list": False},
            description={"kind": TEXTAREA, "in_list": False},
            immediate_measures={"kind": TEXTAREA, "in_list": False},
            lessons={"kind": TEXTAREA, "in_list": False},
        ),
        search=("number", "title", "reporter"),
        title_field="number",
        default_sort=("occurred_at", True),
        before_save=_incident_rules,
        after_create=incident_opened,
        state_field="state",
        locked=lambda i: i.state == IncidentState.CLOSED,
    )
)

INCIDENT_INVESTIGATION = register(
    TableSpec(
        name="incident_investigation",
        parent="incident_id",
        page="pages/incident_investigation.py",
        model=IncidentInvestigation,
        module=Module.INCIDENT,
        fields=_fields(
            IncidentInvestigation,
            "incident_id",
            "leader",
            "started_on",
            "finished_on",
            "direct_cause",
            "indirect_cause",
            "timeline",
            "five_whys",
            "fishbone",
            "barrier_analysis",
            "conclusion",
            incident_id={"filter": True},
            finished_on={"filter": True},
            direct_cause={"kind": TEXTAREA},
            indirect_cause={"kind": TEXTAREA, "in_list": False},
            timeline={"in_list": False},
            five_whys={"in_list": False},
            fishbone={"in_list": False},
            barrier_analysis={"kind": TEXTAREA, "in_list": False},
            conclusion={"kind": TEXTAREA, "in_list": False},
        ),
        search=("direct_cause", "indirect_cause", "leader"),
        title_field="direct_cause",
        default_sort=("started_on", True),
        before_save=_investigation_rules,
    )
)

INCIDENT_CAUSE = register(
    TableSpec(
        name="incident_cause",
        parent="incident_id",
        page="pages/incident_cause.py",
        model=IncidentCause,
        module=Module.INCIDENT,
        fields=_fields(
            IncidentCause,
            "incident_id",
            "category",
            "text",
            "root",
            incident_id={"filter": True},
            category={"filter": True},
        ),
        search=("text",),
        title_field="text",
        default_sort=("incident_id", True),
        before_save=_cause_rules,
    )
)

CORRECTIVE_ACTION = register(
    TableSpec(
        name="corrective_action",
        page="pages/incident_corrective_action.py",
        model=CorrectiveAction,
        module=Module.INCIDENT,
        fields=_fields(
            CorrectiveAction,
            "content",
            "source",
            "incident_id",
            "drill_id",
            "source_ref",
            "enterprise_id",
            "department_id",
            "owner_id",
            "deadline",
            "state",
            "completion",
            "completed_by",
            "completed_at",
            "closed_at",
            "verification",
            source={"filter": True},
            incident_id={"filter": True},
            drill_id={"filter": True, "in_list": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            owner_id={"filter": True},
            deadline={"filter": True},
            state={"filter": True, "in_form": False},
            source_ref={"in_list": False},
            completion={**DONE_BY_FLOW, "kind": TEXTAREA},
            completed_by=DONE_BY_FLOW,
            completed_at=DONE_BY_FLOW,
            closed_at=DONE_BY_FLOW,
            verification={**DONE_BY_FLOW, "kind": TEXTAREA},
        ),
        search=("content", "source_ref"),
        title_field="content",
        default_sort=("deadline", False),
        before_save=_action_rules,
        scope=ScopeColumns(assigned=("owner_id",)),
        after_create=action_opened,
        state_field="state",
        locked=lambda a: a.state == CorrectiveActionState.CLOSED,
        example={"drill_id": None},
    )
)

ACCIDENT_TYPE = register(
    TableSpec(
        name="accident_type",
        model=AccidentType,
        module=Module.INCIDENT,
        page="pages/ref_accident_type.py",
        nav_group="nav.reference",
        fields=fields(
            AccidentType,
            "code",
            "name",
            "name_en",
            "description",
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "T{n}"},
    )
)
