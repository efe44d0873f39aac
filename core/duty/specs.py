"""CRUD declarations for duty performance (安全履责).

Labels of columns other modules may also have (content, score, state, ...) are namespaced
under ``field.duty.*`` so each module can word them as its users expect.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.crud.fields import COMPUTED, DERIVED, TEXTAREA, module_fields
from core.crud.registry import TableSpec, register
from core.duty.flow import issued
from core.duty.rules import due_date, period_of, task_name
from core.rbac import Actor, ScopeColumns
from models.duty import DutyItem, DutySubmission, DutyTask, DutyTaskState
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
    """Snap the period to the item's cycle, derive due day and name (hand-in, score and
    on-time flag come from the workflow)."""
    item = session.get(DutyItem, values.get("item_id") or -1)
    _scope_from(values, session.get(Person, values.get("person_id") or -1))
    if item is None or values.get("period_start") is None:
        return
    start, end = period_of(item.cycle, values["period_start"])
    values["period_start"], values["period_end"] = start, end
    values["due_on"] = values.get("due_on") or due_date(end)
    values["name"] = values.get("name") or task_name(item.name, item.cycle, start)


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
            period_end=COMPUTED,
            due_on={"filter": True},
            state={"filter": True, **COMPUTED},
            submitted_at=COMPUTED,
            on_time={**COMPUTED, "filter": True},
            score=COMPUTED,
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name",),
        default_sort=("due_on", True),
        # the task is about its person and theirs to hand in, whoever issued it
        scope=ScopeColumns(about="person_id", assigned=("person_id",)),
        before_save=_task_rules,
        after_create=issued,
        state_field="state",
        locked=lambda task: task.state == DutyTaskState.APPROVED,
    )
)

SUBMISSION_COLS = ("task_id", "submitted_at", "content", "reviewer_id", "reviewed_at",
                   "decision", "comment", "score", "enterprise_id", "department_id")  # fmt: skip
DUTY_SUBMISSION = register(
    TableSpec(
        name="duty_submission",
        parent="task_id",
        page="pages/duty_submission.py",
        model=DutySubmission,
        module=Module.DUTY,
        fields=module_fields(
            DutySubmission,
            *SUBMISSION_COLS,
            prefix="duty",
            shared=SHARED,
            task_id={"filter": True, **COMPUTED},
            submitted_at={"filter": True, **COMPUTED},
            content={"kind": TEXTAREA, **COMPUTED},
            reviewer_id={"filter": True, **COMPUTED},
            reviewed_at=COMPUTED,
            decision={"filter": True, **COMPUTED},
            comment={"kind": TEXTAREA, "in_list": False, **COMPUTED},
            score=COMPUTED,
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("content", "comment"),
        title_field="content",
        default_sort=("submitted_at", True),
        # the record of the task's workflow (core.duty.flow): never typed in or edited
        scope=ScopeColumns(assigned=("reviewer_id",)),
        allow_create=False,
        locked=lambda _submission: True,
    )
)
