"""An inspection round on the ground: check-in, ticking its lines, submitting it.

The assignee owns a round: a person sees and works the rounds assigned to them even outside
their data scope (as a hazard's owner does), and others reach a round through their scope and
may only work it with the approve grant. A failed line must say why, and on submission it
becomes a hazard on the line's risk point, so a finding cannot stay on a checklist.
Checklists themselves come from the control measures (``core.inspection.checklists``), the
rounds from the plans (``core.inspection.schedule``), the lists of open rounds from
``core.inspection.todo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from core import attachments, audit
from core.config import get_settings
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.crud.validate import Problem
from core.db import utcnow
from core.hazard.flow import report_hazard
from core.i18n import Translatable, t
from core.inspection.todo import OPEN_STATES
from core.rbac import Actor, PermissionDenied
from models.enums import Action, Module
from models.org import Area
from models.risk_inspection import (
    CheckResult,
    InspectionChecklist,
    InspectionPlan,
    InspectionResult,
    InspectionTask,
    InspectionTaskItem,
)
from models.risk_inspection import InspectionTaskState as S
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit
from models.system import Attachment


class InspectionRefused(Translatable):
    """A step the round's state does not allow yet; the message says what is missing."""


def task_for(session: Session, actor: Actor, task_id: int, *, write: bool = False) -> Any:
    """The round if the actor may see it (and, with ``write``, work it), else refused."""
    actor.require(Module.RISK, Action.VIEW)
    stmt = visible(get_spec("inspection_task"), actor).where(InspectionTask.id == task_id)
    task = session.exec(stmt).first()
    if task is None:  # the assignee always reaches it: the table's scope says so
        raise NotFound()
    mine = actor.person_id is not None and task.assignee_id == actor.person_id
    if write:
        actor.require(Module.RISK, Action.EDIT)
        if not mine and not actor.can(Module.RISK, Action.APPROVE):
            raise PermissionDenied("error.inspection_not_assignee")
        if task.state not in OPEN_STATES:
            raise InspectionRefused("error.inspection_closed")
    return task


def task_items(session: Session, task_id: int) -> list[InspectionTaskItem]:
    stmt = select(InspectionTaskItem).where(
        InspectionTaskItem.task_id == task_id, InspectionTaskItem.deleted_at.is_(None)
    )
    return list(session.exec(stmt.order_by(InspectionTaskItem.seq, InspectionTaskItem.id)))


@dataclass(frozen=True)
class CheckinTarget:
    """Where a round must be checked in: its checklist's risk unit and that unit's area."""

    required: bool
    unit_id: int | None = None
    unit_code: str | None = None
    area_id: int | None = None
    area_name: str | None = None


def checkin_target(session: Session, task: InspectionTask) -> CheckinTarget:
    plan = session.get(InspectionPlan, task.plan_id) if task.plan_id else None
    if plan is None or not plan.checkin_required:
        return CheckinTarget(required=False)
    checklist = session.get(InspectionChecklist, plan.checklist_id) if plan.checklist_id else None
    unit = session.get(RiskUnit, checklist.unit_id) if checklist and checklist.unit_id else None
    if unit is None:
        return CheckinTarget(required=True)
    area = session.get(Area, unit.area_id) if unit.area_id else None
    return CheckinTarget(True, unit.id, unit.code, unit.area_id, area.name if area else None)


def _code_matches(session: Session, target: CheckinTarget, code: str) -> bool:
    """The unit's code or the code of one of its risk points (on a sign at the place)."""
    wanted = code.strip().upper()
    if target.unit_code and target.unit_code.strip().upper() == wanted:
        return True
    stmt = select(RiskPoint.id).where(
        RiskPoint.unit_id == target.unit_id, func.upper(RiskPoint.code) == wanted
    )
    return session.exec(stmt.limit(1)).first() is not None


def check_in(
    session: Session, actor: Actor, task_id: int, *, area_id: int | None = None, code: str = ""
) -> InspectionTask:
    """Record that the inspector is at the place: its area picked, or a code read there."""
    task = task_for(session, actor, task_id, write=True)
    target = checkin_target(session, task)
    code = (code or "").strip()
    if area_id is None and not code:
        raise InspectionRefused("error.inspection_checkin_empty")
    if target.unit_id is not None:
        at_area = area_id is not None and area_id == target.area_id
        if not at_area and not (code and _code_matches(session, target, code)):
            expected = target.area_name or target.unit_code or ""
            raise InspectionRefused("error.inspection_checkin_wrong_place", expected=expected)
    area = session.get(Area, area_id) if area_id is not None else None
    before = audit.snapshot(task)
    task.checkin_location = (code or (area.name if area else ""))[:100]
    task.checkin_at = utcnow()
    _start(task)
    audit.record_update(session, actor, "inspection_task", task, before)
    return task


def _start(task: InspectionTask) -> None:
    if task.state in (S.PENDING, S.OVERDUE):
        task.state = S.IN_PROGRESS


def tick(
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    result: CheckResult | str,
    remark: str | None = None,
    photo: tuple[str, bytes] | None = None,
) -> InspectionTaskItem:
    """Record the verdict on one line; a failed line must say what is wrong."""
    item = session.get(InspectionTaskItem, item_id)
    if item is None:
        raise NotFound()
    task = task_for(session, actor, item.task_id, write=True)
    verdict = CheckResult(result)
    remark = (remark or "").strip() or None
    if verdict == CheckResult.FAIL and remark is None:
        raise ValidationFailed([Problem("remark", "validation.inspection_remark_required", {})])
    before = audit.snapshot(item)
    if photo is not None:
        item.photo_id = _store_photo(session, actor, task, *photo)
    item.result, item.remark = verdict, remark
    item.checked_at, item.checked_by = utcnow(), actor.user_id
    audit.record_update(session, actor, "inspection_task_item", item, before)
    task_before = audit.snapshot(task)
    _start(task)
    audit.record_update(session, actor, "inspection_task", task, task_before)
    return item


def photo_thumbnail(session: Session, actor: Actor, item_id: int) -> bytes | None:
    """The preview of a line's photo, on a round the actor may see; None when the line has
    no photo, the round is out of reach or the photo has no preview."""
    item = session.get(InspectionTaskItem, item_id)
    if item is None or item.photo_id is None:
        return None
    try:
        task_for(session, actor, item.task_id)
    except NotFound:
        return None
    stored = session.get(Attachment, item.photo_id)
    return attachments.read_thumbnail(stored, get_settings()) if stored else None


def _store_photo(
    session: Session, actor: Actor, task: InspectionTask, filename: str, data: bytes
) -> int:
    """The photo is kept on the round (its evidence) and named by the line."""
    stored = attachments.store(
        session,
        data=data,
        filename=filename,
        table_name="inspection_task",
        row_id=task.id,
        enterprise_id=task.enterprise_id,
        actor_id=actor.user_id,
        settings=get_settings(),
    )
    audit.record(
        session,
        actor,
        "attachment_add",
        table_name="inspection_task",
        row_id=task.id,
        enterprise_id=task.enterprise_id,
        detail={"attachment_id": stored.id, "filename": stored.filename, "sha256": stored.sha256},
    )
    return stored.id


def submit(session: Session, actor: Actor, task_id: int) -> InspectionTask:
    """Close the round: every line ticked, checked in where the plan asks; each failed line
    raises a hazard linked to its risk point and to this round (all in the caller's
    transaction, so a refused hazard leaves the round open)."""
    task = task_for(session, actor, task_id, write=True)
    if checkin_target(session, task).required and not task.checkin_location:
        raise InspectionRefused("error.inspection_checkin_missing")
    items = task_items(session, task.id)
    unticked = [i for i in items if i.result is None]
    if unticked:
        raise InspectionRefused(
            "error.inspection_unticked", count=len(unticked), seq=unticked[0].seq
        )
    failed = [i for i in items if i.result == CheckResult.FAIL]
    for item in failed:
        if not item.remark:
            raise InspectionRefused("error.inspection_fail_needs_remark", seq=item.seq)

    for item in failed:
        if item.hazard_id is None:
            before = audit.snapshot(item)
            photos = [item.photo_id] if item.photo_id else []
            hazard = report_hazard(
                session,
                actor,
                hazard_values(session, task, item, actor.language),
                attachment_ids=photos,
            )
            item.hazard_id = hazard.id
            audit.record_update(session, actor, "inspection_task_item", item, before)
    before = audit.snapshot(task)
    task.state, task.done_at = S.DONE, utcnow()
    task.result = InspectionResult.ISSUES if failed else InspectionResult.OK
    task.issues_found = len(failed)
    audit.record_update(session, actor, "inspection_task", task, before)
    return task


def hazard_values(
    session: Session, task: InspectionTask, item: InspectionTaskItem, lang: str
) -> dict[str, Any]:
    """The hazard a failed line raises: on the measure's risk point, in its area."""
    measure = session.get(RiskMeasure, item.measure_id) if item.measure_id else None
    point = session.get(RiskPoint, measure.point_id) if measure else None
    description = t(
        "inspection.hazard_description",
        lang,
        task=task.name,
        remark=item.remark or "",
        standard=item.standard or "—",
    )
    values: dict[str, Any] = {
        "title": item.content[:200],
        "description": description[:2000],
        "level": "general",
        "source": "inspection",
        "inspection_task_id": task.id,
        "enterprise_id": task.enterprise_id,
        "department_id": (point.department_id if point else None) or task.department_id,
        "location": task.checkin_location,
    }
    if point is not None:
        values.update(
            risk_point_id=point.id, area_id=point.area_id, accident_type_id=point.accident_type_id
        )
    return values
