"""Duty, training and compliance pages as an employee and a reviewer meet them: 张伟 hands in
the duty task a manager issued him, the safety head approves it with a score, and 张伟 finds
his exam result and the published articles (not the drafts) in his lists."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from core.compliance.flow import KB_FLOW
from core.db import session_scope
from core.i18n import t
from core.training.offline_scores import OfflineScore, record_scores
from core.workflow import fire
from models.duty import DutySubmission, DutyTask, DutyTaskState
from tests.factories import make
from tests.ui.test_flows import _button


def _task(ui_world) -> int:
    org, users = ui_world
    with session_scope() as session:
        item = make(session, "duty_item", users.safety_head, name="班组安全检查",
                    post_id=org.post_a, content="填写检查表", cycle="monthly")  # fmt: skip
        task = make(session, "duty_task", users.safety_head, item_id=item.id,
                    person_id=org.person_a, period_start="2026-11-01")  # fmt: skip
        return task.id


def _open(open_page, user: str, page: str, row_id: int):
    at = open_page(None, as_user=user)
    at.query_params["id"] = str(row_id)
    return at.switch_page(page).run()


def test_employee_hands_in_and_the_safety_head_approves_on_the_page(open_page, ui_world) -> None:
    task_id = _task(ui_world)
    at = _open(open_page, "employee_a", "pages/duty_task.py", task_id)
    assert not at.exception
    labels = [tab.label for tab in at.tabs]
    assert (
        t("workflow.action.duty_task.submit") in labels
        and t("workflow.action.approve") not in labels
    )
    key = f"wf_duty_task_{task_id}_submit"
    at.text_area(key=f"{key}_comment").input("已按检查表完成检查")
    _button(at, t("workflow.action.duty_task.submit")).click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.get(DutyTask, task_id).state == DutyTaskState.SUBMITTED
        sub = session.exec(select(DutySubmission).where(DutySubmission.task_id == task_id)).one()
        assert sub.content == "已按检查表完成检查"
    at = _open(open_page, "safety_head", "pages/duty_task.py", task_id)
    labels = [tab.label for tab in at.tabs]
    assert t("workflow.action.approve") in labels and t("workflow.action.return") in labels
    at.number_input(key=f"wf_duty_task_{task_id}_approve_score").set_value(90.0)
    _button(at, t("workflow.action.approve")).click().run()
    assert not at.exception
    with session_scope() as session:
        task = session.get(DutyTask, task_id)
        assert (task.state, task.score) == (DutyTaskState.APPROVED, 90)


def test_employee_lists_show_their_exam_and_the_published_articles(open_page, ui_world) -> None:
    org, users = ui_world
    with session_scope() as session:
        paper = make(session, "exam_paper", users.safety_head, name="动火作业考试",
                     enterprise_id=org.ent1)  # fmt: skip
        day = date(2026, 11, 20)
        mine, theirs = record_scores(  # exam records come from the engine or this import
            session,
            users.safety_head,
            [OfflineScore(p, paper.id, 88, day) for p in (org.person_a, org.person_a2)],
        )
        mine_no, theirs_no = mine.exam_no, theirs.exam_no
        for title in ("受限空间作业指南", "检修作业草稿"):
            doc = make(session, "kb_document", users.safety_head, title=title,
                       category="procedure", enterprise_id=org.ent1)  # fmt: skip
            if title == "受限空间作业指南":
                fire(session, KB_FLOW, doc.id, "publish", users.safety_head)
    exams = open_page("pages/training_exam_record.py", as_user="employee_a")
    assert not exams.exception
    grid = exams.dataframe[0].value.to_string()
    assert mine_no in grid and theirs_no not in grid
    articles = open_page("pages/compliance_kb_document.py", as_user="employee_a")
    assert not articles.exception
    grid = articles.dataframe[0].value.to_string()
    assert "受限空间作业指南" in grid and "检修作业草稿" not in grid
