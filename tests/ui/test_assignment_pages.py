"""The plan-item and assignment registers as a safety head and an employee meet them: the
safety head approves a plan for the welders (电焊工) and sees the assignment list in both
languages; 张伟, a welder, finds his own assignment (not his colleague's) and on its page
may start it, never complete it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from core.db import session_scope
from core.i18n import t
from core.training.flow import PLAN_FLOW
from core.workflow import fire
from models.training_learning import TrainingAssignment
from tests.factories import make

COURSE = "电焊作业安全再培训"


@pytest.fixture(scope="module")
def assignment(ui_world) -> int:
    """张伟's assignment from an approved plan whose item targets his post."""
    org, users = ui_world
    with session_scope() as session:
        course = make(session, "training_course", users.safety_head, name=COURSE,
                      enterprise_id=org.ent1)  # fmt: skip
        plan = make(session, "training_plan", users.safety_head, name="2026年12月电焊工培训",
                    course_id=course.id, planned_on=date(2026, 12, 10),
                    enterprise_id=org.ent1)  # fmt: skip
        make(session, "training_plan_item", users.safety_head, plan_id=plan.id,
             course_id=course.id, target="post", post_id=org.post_a)  # fmt: skip
        fire(session, PLAN_FLOW, plan.id, "approve", users.safety_head)
        mine = session.exec(
            select(TrainingAssignment).where(
                TrainingAssignment.person_id == org.person_a,
                TrainingAssignment.course_id == course.id,
            )
        ).one()
        return mine.id or -1


def _grid(at) -> str:
    return "\n".join(df.value.to_string() for df in at.dataframe)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_assignment_list_renders_in_both_languages(open_page, assignment, lang) -> None:
    at = open_page("pages/training_assignment.py", as_user="safety_head", lang=lang)
    assert not at.exception
    grid = _grid(at)
    assert COURSE in grid and "张伟" in grid
    assert t("enum.AssignmentState.assigned", lang) in grid
    items = open_page("pages/training_plan_item.py", as_user="safety_head", lang=lang)
    assert not items.exception
    assert t("enum.PlanTarget.post", lang) in _grid(items)


def test_an_employee_sees_his_own_and_may_start_but_not_complete(
    open_page, ui_world, assignment
) -> None:
    at = open_page("pages/training_assignment.py", as_user="employee_a")
    assert not at.exception
    grid = _grid(at)
    assert "张伟" in grid and "李娜" not in grid
    detail = open_page(None, as_user="employee_a")
    detail.query_params["id"] = str(assignment)
    detail.switch_page("pages/training_assignment.py").run()
    assert not detail.exception
    labels = [tab.label for tab in detail.tabs]
    assert t("workflow.action.training_assignment.start") in labels
    assert t("workflow.action.training_assignment.complete") not in labels
    assert t("workflow.action.training_assignment.waive") not in labels


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_training_home_figures_name_what_they_count(open_page, assignment, lang) -> None:
    at = open_page("pages/training_home.py", as_user="safety_head", lang=lang)
    assert not at.exception
    labels = [m.label for m in at.metric]
    wanted = {"zh-CN": ("逾期培训任务", "未完成培训任务"), "en": ("Overdue training assignments",
              "Training assignments not completed")}[lang]  # fmt: skip
    assert set(wanted) <= set(labels), labels
