"""Emergency records made as users make them (through the CRUD service and the workflows):
plans in enterprise 1's department A, drills of them, supplies with a 30-day inspection cycle.
safety_head edits and approves throughout."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.emergency.flow import DRILL_FLOW, PLAN_FLOW
from core.rbac import Actor
from core.workflow import Workflow, events, fire
from models.emergency import EmergencyPlan
from models.emergency_drill import Drill
from models.emergency_supply import EmergencySupply
from tests import factories
from tests.factories import Org, Users


def step(session: Session, wf: Workflow, row: Any, action: str, actor: Actor, **kw: Any) -> Any:
    """Fire one step and return the record as it is now."""
    fire(session, wf, row.id, action, actor, **kw)
    session.refresh(row)
    return row


def history(session: Session, table: str, row: Any) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.action) for e in events(session, table, row.id)]


def new_plan(session: Session, org: Org, users: Users, **values: Any) -> EmergencyPlan:
    base = {
        "name": "配电室触电现场处置方案",
        "kind": "on_site",
        "enterprise_id": org.ent1,
        "department_id": org.dept_a,
    }
    spec = get_spec("emergency_plan")
    return service.create_row(session, spec, users.safety_head, {**base, **values})


def published(session: Session, org: Org, users: Users, **values: Any) -> EmergencyPlan:
    """A plan taken through review, approval (V1.0) and publishing."""
    plan = new_plan(session, org, users, **values)
    boss = users.safety_head
    step(session, PLAN_FLOW, plan, "send_for_review", boss)
    step(session, PLAN_FLOW, plan, "approve", boss, comment="首次发布")
    return step(session, PLAN_FLOW, plan, "publish", boss)


def new_drill(session: Session, org: Org, users: Users, **values: Any) -> Drill:
    base = {
        "name": "配电室触电应急救援演练",
        "enterprise_id": org.ent1,
        "department_id": org.dept_a,
        "planned_on": site_today(),
    }
    return service.create_row(session, get_spec("drill"), users.safety_head, {**base, **values})


def held(session: Session, org: Org, users: Users, **values: Any) -> Drill:
    """A drill whose scheme was approved, 20 trained, held today with 18 people."""
    boss = users.safety_head
    drill = new_drill(session, org, users, **values)
    step(session, DRILL_FLOW, drill, "approve_scheme", boss)
    step(session, DRILL_FLOW, drill, "train_drill", boss, payload={"trainees": 20})
    return step(session, DRILL_FLOW, drill, "hold_drill", boss, payload={"participants": 18})


def new_supply(session: Session, org: Org, users: Users, **values: Any) -> EmergencySupply:
    n = factories.serial()
    category = factories.make(
        session,
        "emergency_supply_category",
        code=f"Q{n}",
        name=f"空气呼吸器{n}",
        name_en="SCBA",
        inspection_days=30,
    )
    base = {
        "category_id": category.id,
        "name": "正压式空气呼吸器",
        "enterprise_id": org.ent1,
        "department_id": org.dept_a,
        "quantity": 4,
        "min_stock": 2,
    }
    spec = get_spec("emergency_supply")
    return service.create_row(session, spec, users.safety_head, {**base, **values})
