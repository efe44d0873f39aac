"""Duty performance: period arithmetic, the task rules, and the demo data (the workflow and
its submissions: test_duty_flow.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from core.crud.registry import get_spec
from core.crud.service import create_row
from core.demogen.duty import template_for
from core.duty.ranking import blended_score, ranking
from core.duty.rules import is_on_time, is_overdue, period_of, task_name
from core.rbac import SYSTEM
from models.duty import DutyCycle, DutyItem, DutySubmission, DutyTask, DutyTaskState
from models.org import Person, Post
from tests.modules.conftest import TODAY

# The demo at S, seed 2026 (responsible posts only; monthly, quarterly and yearly duties).
S_COUNTS = {"duty_item": 148, "duty_task": 1602, "duty_submission": 1578}


@pytest.mark.parametrize(
    ("cycle", "day", "expected"),
    [
        (DutyCycle.DAILY, date(2026, 3, 5), (date(2026, 3, 5), date(2026, 3, 5))),
        (DutyCycle.WEEKLY, date(2026, 11, 26), (date(2026, 11, 23), date(2026, 11, 29))),
        (DutyCycle.MONTHLY, date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        (DutyCycle.QUARTERLY, date(2026, 11, 24), (date(2026, 10, 1), date(2026, 12, 31))),
        (DutyCycle.YEARLY, date(2025, 12, 31), (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_period_of(cycle: DutyCycle, day: date, expected: tuple[date, date]) -> None:
    assert period_of(cycle, day) == expected


def test_task_names_and_deadlines() -> None:
    assert task_name("月度安全检查", "monthly", date(2026, 3, 1)) == "月度安全检查 2026-03"
    assert task_name("应急演练组织", "quarterly", date(2026, 4, 1)) == "应急演练组织 2026Q2"
    due = date(2026, 3, 31)
    assert is_on_time(datetime(2026, 3, 31, 23, 0, tzinfo=UTC), due) is True
    assert is_on_time(datetime(2026, 4, 1, 1, 0, tzinfo=UTC), due) is False
    assert is_on_time(None, due) is None
    assert is_overdue(DutyTaskState.PENDING, due, date(2026, 4, 1))
    assert is_overdue(DutyTaskState.RETURNED, due, date(2026, 4, 1))
    assert not is_overdue(DutyTaskState.SUBMITTED, due, date(2026, 4, 1))
    assert not is_overdue(DutyTaskState.PENDING, due, due)


def _person(session) -> Person:
    return session.exec(select(Person).where(Person.post_id.is_not(None))).first()


def test_task_form_snaps_period_and_derives_due_name_and_scope(demo_session) -> None:
    person = _person(demo_session)
    item = create_row(
        demo_session,
        get_spec("duty_item"),
        SYSTEM,
        {"name": "月度安全检查", "post_id": person.post_id, "cycle": "quarterly",
         "content": "组织检查"},
    )  # fmt: skip
    post = demo_session.get(Post, person.post_id)
    assert item.enterprise_id == post.enterprise_id
    task = create_row(
        demo_session,
        get_spec("duty_task"),
        SYSTEM,
        {"item_id": item.id, "person_id": person.id, "period_start": "2026-05-17"},
    )  # fmt: skip
    assert (task.period_start, task.period_end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert task.due_on == date(2026, 6, 30)
    assert task.name == "月度安全检查 2026Q2"
    assert (task.state, task.on_time) == ("pending", None)  # handed in through the workflow
    assert (task.enterprise_id, task.department_id) == (person.enterprise_id, person.department_id)


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_demo_counts_at_s(demo_session, run_generator) -> None:
    counts = run_generator("duty")
    assert counts == S_COUNTS
    posts = demo_session.exec(select(Post)).all()
    assert _count(demo_session, DutyItem) == sum(len(template_for(p.name)) for p in posts)
    # every task has the period its item's cycle gives, and is due at the period's end
    for task, cycle in demo_session.exec(
        select(DutyTask, DutyItem.cycle).join(DutyItem).limit(300)
    ).all():
        assert period_of(cycle, task.period_start) == (task.period_start, task.period_end)
        assert task.due_on == task.period_end


def test_demo_is_about_ninety_percent_on_time_with_some_overdue(demo_session, run_generator):
    run_generator("duty")
    handed_in = demo_session.exec(
        select(DutyTask.on_time).where(DutyTask.on_time.is_not(None), DutyTask.due_on < TODAY)
    ).all()
    share = sum(handed_in) / len(handed_in)
    assert 0.85 <= share <= 0.95, share
    overdue = [
        t
        for t in demo_session.exec(select(DutyTask).where(DutyTask.due_on < TODAY)).all()
        if is_overdue(t.state, t.due_on, TODAY)
    ]
    assert 0 < len(overdue) < 0.1 * len(handed_in)
    returned = demo_session.exec(
        select(func.count())
        .select_from(DutySubmission)
        .where(DutySubmission.decision == "returned")
    ).one()
    assert returned > 0


def _snapshot(session) -> list[tuple]:
    rows = []
    for model in (DutyItem, DutyTask, DutySubmission):
        for row in session.exec(select(model).order_by(model.id)).all():
            data = row.model_dump(exclude={"created_at", "updated_at"})
            rows.append((model.__name__, tuple(sorted(data.items(), key=lambda kv: kv[0]))))
    return rows


def test_same_seed_gives_the_same_rows(demo_session, run_generator) -> None:
    savepoint = demo_session.begin_nested()
    run_generator("duty")
    first = _snapshot(demo_session)
    savepoint.rollback()
    savepoint = demo_session.begin_nested()
    run_generator("duty")
    assert _snapshot(demo_session) == first
    savepoint.rollback()
    assert run_generator("duty", seed=7)["duty_task"] != 0


def test_blended_score() -> None:
    assert blended_score(0, 0, 0, 0) == 0.0
    assert blended_score(10, 10, 10, 100) == 100.0
    # skipping duties ranks below doing them late
    assert blended_score(10, 5, 5, 90) < blended_score(10, 10, 5, 75)


def test_ranking_of_people_and_departments(demo_session, run_generator) -> None:
    run_generator("duty")
    window = {"start": date(2024, 1, 1), "end": date(2026, 10, 31), "today": TODAY}
    people = ranking(demo_session, **window)
    assert len(people) == len({p.key for p in people}) > 10
    assert [p.score for p in people] == sorted((p.score for p in people), reverse=True)
    assert all(0 < p.score <= 100 and p.approved <= p.due for p in people)
    departments = ranking(demo_session, by="department", **window)
    assert sum(d.due for d in departments) == sum(p.due for p in people)
    assert any(p.overdue for p in people)


def test_demo_tasks_and_submissions_agree_as_the_workflow_leaves_them(
    demo_session, run_generator
) -> None:
    run_generator("duty")
    tasks = {t.id: t for t in demo_session.exec(select(DutyTask)).all()}
    by_task: dict[int, list[DutySubmission]] = {}
    for sub in demo_session.exec(select(DutySubmission).order_by(DutySubmission.id)).all():
        by_task.setdefault(sub.task_id, []).append(sub)
        assert sub.reviewer_id != tasks[sub.task_id].person_id  # nobody reviews their own
    for task_id, task in tasks.items():
        last = by_task.get(task_id, [None])[-1]
        expected = {
            DutyTaskState.PENDING: None,
            DutyTaskState.SUBMITTED: None,
            DutyTaskState.RETURNED: "returned",
            DutyTaskState.APPROVED: "approved",
        }[task.state]
        assert (last.decision if last else None) == expected, task_id
        assert (last is None) == (task.state == DutyTaskState.PENDING)
        assert (task.on_time is not None) == (task.state == DutyTaskState.APPROVED)
