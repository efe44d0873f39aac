"""Inspecting emergency supplies (应急物资检查): recording an inspection moves the next one."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.validate import Problem
from core.rbac import Actor
from models.emergency_supply import EmergencySupply


def record_inspection(
    session: Session, actor: Actor, supply_id: int, when: date | None = None
) -> EmergencySupply:
    """The supply was inspected on ``when`` (today by default): it becomes the last
    inspection and the next one falls a category cycle later (see the supply's save rules).
    Without a cycle a next date the inspection has reached is cleared, not left overdue."""
    spec = get_spec("emergency_supply")
    supply = service.get_row(session, spec, actor, supply_id, include_deleted=False)
    when = when or site_today()
    if when > site_today():
        refused = Problem("last_inspected_on", "validation.emergency.date_in_future", {})
        raise service.ValidationFailed([refused])
    if supply.last_inspected_on is not None and when < supply.last_inspected_on:
        refused = Problem(
            "last_inspected_on",
            "validation.emergency.inspection_before_last",
            {"last": supply.last_inspected_on.isoformat()},
        )
        raise service.ValidationFailed([refused])
    values: dict[str, object] = {"last_inspected_on": when}
    if supply.next_inspection_on is not None and supply.next_inspection_on <= when:
        values["next_inspection_on"] = None
    return service.update_row(session, spec, actor, supply_id, values)
