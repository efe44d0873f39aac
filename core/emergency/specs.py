"""CRUD declarations for the emergency module (应急管理)."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import Session

from core.crud.fields import COMPUTED, TEXTAREA, module_fields
from core.crud.registry import Preset, TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.emergency.flow import drill_planned, plan_drafted
from core.emergency.rules import (
    last_drill,
    next_drill_due,
    next_inspection,
    normalise_steps,
    review_due,
    stock_status,
    supplies_attention,
    supplies_expired,
)
from core.rbac import REFERENCE_SCOPE, Actor, Audience, ScopeColumns
from models.emergency import (
    EmergencyPlan,
    EmergencyPlanKind,
    EmergencyPlanState,
    EmergencyPlanVersion,
    EmergencyTeam,
    EmergencyTeamMember,
    ExternalContact,
    ResponseChecklist,
)
from models.emergency_drill import Drill, DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyCategory
from models.enums import Module
from models.org import Person

SHARED = {"name", "code", "kind", "status", "phone", "expires_on", "name_en", "description"}
SHARED |= {"enterprise_id", "department_id", "person_id", "address"}


_fields = partial(module_fields, prefix="emergency", shared=SHARED)
#: Set by workflow steps, not typed in: shown in lists and detail, read-only in imports.
BY_STEP: dict[str, Any] = {**COMPUTED, "in_list": False}
STATE: dict[str, Any] = {"filter": True, "in_form": False}
#: Published documents: everyone in the audience reads what is published, editors the drafts.
PUBLISHED_SCOPE = ScopeColumns(audience=Audience())


def _follow(parent: type, column: str) -> Any:
    """A hook that copies enterprise and department from the parent row named by ``column``."""

    def hook(session: Session, values: dict[str, Any], actor: Actor) -> None:
        row = session.get(parent, values.get(column) or -1)
        if row is not None:
            values["enterprise_id"] = row.enterprise_id
            values["department_id"] = row.department_id

    return hook


def _plan_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Review and next drill dates follow the effective date (and the drills held)."""
    if values.get("review_due") is None:
        values["review_due"] = review_due(values.get("effective_on"))
    if values.get("replaces_id") is not None and values["replaces_id"] == values.get("id"):
        raise ValidationFailed([Problem("replaces_id", "validation.emergency.replaces_itself", {})])
    kind = EmergencyPlanKind(values.get("kind") or EmergencyPlanKind.SPECIAL)
    last = last_drill(session, values.get("id"))
    values["next_drill_due"] = next_drill_due(kind, last, values.get("effective_on"))


def _member_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    _follow(EmergencyTeam, "team_id")(session, values, actor)
    person = session.get(Person, values.get("person_id") or -1)
    if person is not None and not values.get("phone"):
        values["phone"] = person.phone


def _supply_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Stock status and, where the category has a cycle, the next inspection are derived, so
    the ledger's tiles cannot disagree; expiry is asked of the date when read."""
    category = session.get(EmergencySupplyCategory, values.get("category_id") or -1)
    cycle = category.inspection_days if category is not None else None
    if cycle and values.get("last_inspected_on") is not None:
        values["next_inspection_on"] = next_inspection(values["last_inspected_on"], cycle)
    values["status"] = stock_status(values.get("quantity") or 0, values.get("min_stock") or 0)


def _checklist_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    steps = normalise_steps(values.get("steps") or [])
    if steps is None:
        raise ValidationFailed([Problem("steps", "validation.emergency_steps", {})])
    values["steps"] = steps


EMERGENCY_PLAN = register(
    TableSpec(
        name="emergency_plan",
        page="pages/emergency_plan.py",
        model=EmergencyPlan,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencyPlan,
            "name",
            "code",
            "kind",
            "accident_type_id",
            "enterprise_id",
            "department_id",
            "version",
            "replaces_id",
            "effective_on",
            "review_due",
            "next_drill_due",
            "filed_with",
            "state",
            kind={"filter": True},
            accident_type_id={"filter": True},
            enterprise_id={"filter": True},
            version=COMPUTED,
            replaces_id={"in_list": False},
            state=STATE,
            review_due={"filter": True},
            next_drill_due={**COMPUTED, "filter": True},
            filed_with={"in_list": False},
        ),
        search=("name", "code"),
        default_sort=("effective_on", True),
        before_save=_plan_rules,
        scope=PUBLISHED_SCOPE,
        after_create=plan_drafted,
        state_field="state",
        # what the audience reads does not change under it: a change is a new plan that
        # replaces it (approved, then published), and the superseded one is the record
        locked=lambda plan: (
            plan.state in (EmergencyPlanState.PUBLISHED, EmergencyPlanState.SUPERSEDED)
        ),
        example={"replaces_id": None},
    )
)

EMERGENCY_PLAN_VERSION = register(
    TableSpec(
        name="emergency_plan_version",
        parent="plan_id",
        page="pages/emergency_plan_version.py",
        model=EmergencyPlanVersion,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencyPlanVersion,
            "plan_id",
            "version",
            "change_summary",
            "approved_by",
            "approved_at",
            plan_id={**COMPUTED, "filter": True},
            version=COMPUTED,
            change_summary={**COMPUTED, "kind": TEXTAREA},
            approved_by=COMPUTED,
            approved_at=COMPUTED,
        ),
        search=("version", "change_summary", "approved_by"),
        title_field="version",
        default_sort=("approved_at", True),
        before_save=_follow(EmergencyPlan, "plan_id"),
        allow_create=False,  # written by the plan's approval step, kept as it was approved
        locked=lambda version: True,
    )
)

EMERGENCY_TEAM = register(
    TableSpec(
        name="emergency_team",
        page="pages/emergency_team.py",
        model=EmergencyTeam,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencyTeam,
            "name",
            "kind",
            "enterprise_id",
            "department_id",
            "leader",
            "phone",
            "duties",
            kind={"filter": True},
            enterprise_id={"filter": True},
            duties={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "leader"),
        default_sort=("name", False),
    )
)

EMERGENCY_TEAM_MEMBER = register(
    TableSpec(
        name="emergency_team_member",
        parent="team_id",
        page="pages/emergency_team_member.py",
        model=EmergencyTeamMember,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencyTeamMember,
            "team_id",
            "person_id",
            "duty",
            "phone",
            team_id={"filter": True},
        ),
        scope=ScopeColumns(about="person_id"),
        search=("duty", "phone"),
        title_field="duty",
        default_sort=("team_id", False),
        before_save=_member_rules,
    )
)

EMERGENCY_SUPPLY_CATEGORY = register(
    TableSpec(
        name="emergency_supply_category",
        page="pages/emergency_supply_category.py",
        nav_group="nav.reference",
        model=EmergencySupplyCategory,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencySupplyCategory,
            "code",
            "name",
            "name_en",
            "unit",
            "inspection_days",
            "description",
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "C{n}"},
    )
)

EMERGENCY_SUPPLY = register(
    TableSpec(
        name="emergency_supply",
        page="pages/emergency_supply.py",
        presets={
            "attention": Preset("cockpit.filter.supplies_attention", where=supplies_attention),
            "expired": Preset("emergency.preset.expired", where=supplies_expired),
        },
        model=EmergencySupply,
        module=Module.EMERGENCY,
        fields=_fields(
            EmergencySupply,
            "category_id",
            "name",
            "specification",
            "enterprise_id",
            "department_id",
            "area_id",
            "location",
            "quantity",
            "min_stock",
            "unit",
            "keeper",
            "expires_on",
            "last_inspected_on",
            "next_inspection_on",
            "status",
            category_id={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True, "in_list": False},
            status={"filter": True, "in_form": False, "label": "field.emergency.stock_status"},
            expires_on={"filter": True},
            next_inspection_on={"filter": True},
        ),
        search=("name", "specification", "location", "keeper"),
        default_sort=("category_id", False),
        before_save=_supply_rules,
    )
)

DRILL = register(
    TableSpec(
        name="drill",
        page="pages/emergency_drill.py",
        model=Drill,
        module=Module.EMERGENCY,
        fields=_fields(
            Drill,
            "name",
            "plan_id",
            "enterprise_id",
            "department_id",
            "level",
            "form",
            "location",
            "planned_on",
            "scheme_done_on",
            "trained_on",
            "trainees",
            "held_on",
            "participants",
            "evaluated_on",
            "evaluation",
            "findings",
            "action_owner_id",
            "action_deadline",
            "state",
            plan_id={"filter": True, "in_list": False},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            level={"filter": True},
            planned_on={"filter": True},
            scheme_done_on=BY_STEP,
            trained_on=BY_STEP,
            trainees=BY_STEP,
            held_on={**COMPUTED, "filter": True},
            participants=COMPUTED,
            evaluated_on=BY_STEP,
            evaluation={**BY_STEP, "kind": TEXTAREA},
            findings={**BY_STEP, "kind": TEXTAREA},
            action_owner_id=BY_STEP,
            action_deadline=BY_STEP,
            state=STATE,
            location={"in_list": False},
        ),
        search=("name", "location"),
        default_sort=("planned_on", True),
        after_create=drill_planned,
        state_field="state",
        locked=lambda drill: drill.state in (DrillState.EVALUATED, DrillState.CANCELLED),
    )
)

RESPONSE_CHECKLIST = register(
    TableSpec(
        name="response_checklist",
        page="pages/emergency_response_checklist.py",
        model=ResponseChecklist,
        module=Module.EMERGENCY,
        fields=_fields(
            ResponseChecklist,
            "name",
            "accident_type_id",
            "enterprise_id",
            "steps",
            "notes",
            "state",
            accident_type_id={"filter": True},
            enterprise_id={"filter": True},
            steps={"in_list": False},
            notes={"kind": TEXTAREA, "in_list": False},
            state=STATE,
        ),
        search=("name",),
        default_sort=("accident_type_id", False),
        before_save=_checklist_rules,
        scope=PUBLISHED_SCOPE,
        state_field="state",
    )
)

EXTERNAL_CONTACT = register(
    TableSpec(
        name="external_contact",
        page="pages/emergency_external_contact.py",
        model=ExternalContact,
        module=Module.EMERGENCY,
        fields=_fields(
            ExternalContact,
            "name",
            "kind",
            "phone",
            "enterprise_id",
            "address",
            "note",
            "state",
            kind={"filter": True},
            enterprise_id={"filter": True},
            state=STATE,
        ),
        search=("name", "phone", "address"),
        default_sort=("kind", False),
        scope=PUBLISHED_SCOPE,
        state_field="state",
    )
)
