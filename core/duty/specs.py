"""CRUD declarations for duty performance (安全履责).

Labels of columns other modules may also have (content, score, state, ...) are namespaced
under ``field.duty.*`` so each module can word them as its users expect.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.crud.fields import DERIVED, TEXTAREA, module_fields
from core.crud.registry import TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.duty.rules import due_date, is_on_time, period_of, task_name
from core.rbac import Actor, ScopeColumns
from models.duty import DutyItem, DutySubmission, DutyTask
from models.enums import Module
from models.org import Person, Post

SHARED = {"name", "post_id", "active", "enterprise_id", "department_id"}


def _scope_from(values: dict[str, Any], source: Any) -> None:
    if source is not None:
        values["enterprise_id"] = source.enterprise_id
        values["department_id"] = source.department_id


def _item_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A duty belongs where its post is."""
    _scope_from(values, session.get(Post, values.get("post_id") or -1))


def _task_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Snap the period to the item's cycle, derive due day, name and on-time flag."""
    item = session.get(DutyItem, values.get("item_id") or -1)
    _scope_from(values, session.get(Person, values.get("person_id") or -1))
    if item is None or values.get("period_start") is None:
        return
    start, end = period_of(item.cycle, values["period_start"])
    values["period_start"], values["period_end"] = start, end
    values["due_on"] = values.get("due_on") or due_date(end)
    values["name"] = values.get("name") or task_name(item.name, item.cycle, start)
    values["on_time"] = is_on_time(values.get("submitted_at"), values["due_on"])


def _submission_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Scope follows the task; a review cannot precede the submission it judges."""
    _scope_from(values, session.get(DutyTask, values.get("task_id") or -1))
    submitted, reviewed = values.get("submitted_at"), values.get("reviewed_at")
    if submitted is not None and reviewed is not None and reviewed < submitted:
        raise ValidationFailed([Problem("reviewed_at", "validation.duty.review_before_submit", {})])


ITEM_COLS = ("name", "post_id", "cycle", "content", "evidence_required", "weight", "basis",
             "active", "enterprise_id", "department_id")  # fmt: skip
DUTY_ITEM = register(
    TableSpec(
        name="duty_item",
        page="pages/duty_item.py",
        model=DutyItem,
        module=Module.DUTY,
        fields=module_fields(
            DutyItem,
            *ITEM_COLS,
            prefix="duty",
            shared=SHARED,
            post_id={"filter": True},
            cycle={"filter": True},
            content={"kind": TEXTAREA, "in_list": False},
            active={"filter": True},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name", "content", "basis"),
        default_sort=("post_id", False),
        scope=ScopeColumns(own=None),
        before_save=_item_rules,
    )
)

TASK_COLS = ("name", "item_id", "person_id", "period_start", "period_end", "due_on", "state",
             "submitted_at", "on_time", "score", "enterprise_id", "department_id")  # fmt: skip
DUTY_TASK = register(
    TableSpec(
        name="duty_task",
        page="pages/duty_task.py",
        model=DutyTask,
        module=Module.DUTY,
        fields=module_fields(
            DutyTask,
            *TASK_COLS,
            prefix="duty",
            shared=SHARED,
            name={"label": "field.duty.task_name", "required": False},
            item_id={"filter": True},
            person_id={"filter": True},
            period_start={"filter": True},
            period_end={"in_form": False},
            due_on={"filter": True},
            state={"filter": True},
            on_time={"in_form": False, "filter": True},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name",),
        default_sort=("due_on", True),
        before_save=_task_rules,
    )
)

SUBMISSION_COLS = ("task_id", "submitted_at", "content", "reviewer_id", "reviewed_at",
                   "decision", "comment", "score", "enterprise_id", "department_id")  # fmt: skip
DUTY_SUBMISSION = register(
    TableSpec(
        name="duty_submission",
        page="pages/duty_submission.py",
        model=DutySubmission,
        module=Module.DUTY,
        fields=module_fields(
            DutySubmission,
            *SUBMISSION_COLS,
            prefix="duty",
            shared=SHARED,
            task_id={"filter": True},
            submitted_at={"filter": True},
            content={"kind": TEXTAREA},
            reviewer_id={"filter": True},
            decision={"filter": True},
            comment={"kind": TEXTAREA, "in_list": False},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("content", "comment"),
        title_field="content",
        default_sort=("submitted_at", True),
        before_save=_submission_rules,
    )
)
