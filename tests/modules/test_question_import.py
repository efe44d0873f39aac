"""Bulk questions in (issue 20, point 7): the question bank's Excel template takes every kind,
with its options, answer, category, difficulty and explanation; a bad answer key names its
row and column and nothing is imported; the fixed file goes in whole and can be drawn."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlmodel import Session, func, select

from core.crud import excel
from core.crud.registry import get_spec
from models.training_exam import Question, QuestionKind
from tests.factories import Users
from tests.test_excel import xlsx

QUESTION = get_spec("question")


def _rows(bad_answer: str) -> list[dict[str, Any]]:
    return [
        {"code": "IMP-1", "kind": "单选题", "stem": "动火作业前必须进行什么？",
         "options": "气体分析;登高作业;吊装作业", "answer": "A", "category": "动火",
         "difficulty": "易", "analysis": "GB 30871 要求动火前气体分析"},
        {"code": "IMP-2", "kind": "多选题", "stem": "受限空间作业需要哪些条件？",
         "options": "通风;检测;监护人;饮酒", "answer": "ABC", "category": "受限空间",
         "difficulty": "中", "analysis": ""},
        {"code": "IMP-3", "kind": "判断题", "stem": "作业票可以涂改。", "options": "",
         "answer": "F", "category": "作业票", "difficulty": "易", "analysis": ""},
        {"code": "IMP-4", "kind": "单选题", "stem": "安全帽的作用是？",
         "options": "防坠物;防雨;装饰", "answer": bad_answer, "category": "个体防护",
         "difficulty": "易", "analysis": ""},
    ]  # fmt: skip


def _file(session: Session, users: Users, bad_answer: str) -> bytes:
    """Filled in under the template's own headers, as a trainer would."""
    template = excel.template(session, QUESTION, users.admin, "zh-CN")
    header = [c.value for c in next(load_workbook(io.BytesIO(template)).active.iter_rows())]
    by_label = {f.label_in("zh-CN"): f.name for f in excel.io_fields(session, QUESTION)}
    rows = [[row.get(by_label.get(h, ""), "") for h in header] for row in _rows(bad_answer)]
    return xlsx(header, rows)


def _count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Question)).one()


def test_a_bad_answer_key_names_its_row_and_nothing_goes_in(session: Session, users: Users) -> None:
    before = _count(session)
    report = excel.import_rows(
        session, QUESTION, users.admin, _file(session, users, "Z"), "zh-CN", filename="q.xlsx"
    )
    assert not report.ok and report.created == 0
    assert _count(session) == before
    (error,) = report.errors
    assert error.row == 5, "the fourth question, under the header"
    assert error.column == QUESTION.field("answer").label_in("zh-CN")


def test_every_kind_goes_in_with_its_options_and_category(session: Session, users: Users) -> None:
    report = excel.import_rows(
        session, QUESTION, users.admin, _file(session, users, "A"), "zh-CN", filename="q.xlsx"
    )
    assert report.ok, report.errors
    assert report.created == 4
    imported = {
        q.code: q
        for q in session.exec(select(Question).where(Question.code.startswith("IMP-"))).all()
    }
    single, multiple, judged = imported["IMP-1"], imported["IMP-2"], imported["IMP-3"]
    assert single.kind == QuestionKind.SINGLE and single.options == [
        "气体分析",
        "登高作业",
        "吊装作业",
    ]
    assert single.category == "动火" and single.analysis.startswith("GB 30871")
    assert multiple.kind == QuestionKind.MULTIPLE and multiple.answer == "ABC"
    assert judged.kind == QuestionKind.TRUE_FALSE and judged.options == []
