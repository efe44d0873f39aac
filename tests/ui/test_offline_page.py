"""The offline-exam page as a safety manager uses it: pick a paper, make the PDFs, fill the
score template, upload it, read the preview and import; a bad file names its rows and imports
nothing; in English too; an employee does not get the page."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db import session_scope
from core.training.offline_scores import template
from models.org import Person
from models.training_exam import ExamPaper, ExamRecord, Question, QuestionKind

PAPER = "叉车安全线下考试"


@pytest.fixture(scope="module")
def paper(ui_world) -> tuple[int, str]:
    """A fixed paper of two questions, and 张伟's employee number."""
    org, _users = ui_world
    with session_scope() as session:
        ids = []
        for n, kind in enumerate((QuestionKind.TRUE_FALSE, QuestionKind.FILL_IN), start=1):
            q = Question(code=f"UIOFF{n}", kind=kind, stem=f"叉车题{n}", answer="T")
            session.add(q)
            session.flush()
            ids.append(q.id)
        p = ExamPaper(name=PAPER, question_ids=ids, total_score=100, pass_score=60,
                      enterprise_id=org.ent1)  # fmt: skip
        session.add(p)
        session.flush()
        return p.id or -1, session.get(Person, org.person_a).employee_no or ""


def _sheet(rows: list[list]) -> bytes:
    book = load_workbook(io.BytesIO(template("zh-CN", PAPER)))
    for n, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            book.active.cell(row=n, column=c, value=value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _offline(paper_id: int) -> list[ExamRecord]:
    with session_scope() as session:
        stmt = select(ExamRecord).where(ExamRecord.paper_id == paper_id, col(ExamRecord.offline))
        return list(session.exec(stmt).all())


def _on_paper(at: AppTest, paper_id: int) -> AppTest:
    at.selectbox(key="offline_paper").set_value(paper_id).run()
    assert not at.exception, at.exception
    return at


def _downloads(at: AppTest) -> list[str]:
    return [e.proto.label for e in at.get("download_button")]


def test_a_manager_prints_the_paper_and_imports_scores(open_page, paper) -> None:
    paper_id, number = paper
    at = _on_paper(open_page("pages/training_offline.py", as_user="safety_head"), paper_id)
    assert at.title[0].value == "线下考试"
    assert _downloads(at) == ["下载成绩模板"]
    (box,) = at.get("file_uploader")  # announces the limit files are held to, not the videos'
    assert (
        box.proto.max_upload_size_mb == get_settings().max_upload_mb < get_settings().max_video_mb
    )
    at.button(key="offline_make").click().run()
    assert not at.exception, at.exception
    assert _downloads(at) == ["下载试卷 PDF", "下载答案 PDF（仅题库编辑人员）", "下载成绩模板"]

    at.file_uploader(key="offline_upload").upload(
        "scores.xlsx", _sheet([[number, None, None, PAPER, 88, "2026-11-20", "王老师"]])
    ).run()
    assert not at.exception, at.exception
    assert any("检查通过" in s.value for s in at.success)
    assert "张伟" in at.dataframe[0].value.to_string()
    assert _offline(paper_id) == [], "the preview writes nothing"

    at.button(key="offline_import").click().run()
    assert not at.exception, at.exception
    assert any("已导入 1 条" in s.value for s in at.success)
    [record] = _offline(paper_id)
    assert (record.score, record.passed, record.attempt) == (88, True, 1)
    assert record.exam_no in at.dataframe[-1].value.to_string()


def test_a_bad_file_names_the_row_and_column_in_english(open_page, paper) -> None:
    paper_id, number = paper
    before = len(_offline(paper_id))
    at = _on_paper(
        open_page("pages/training_offline.py", as_user="safety_head", lang="en"), paper_id
    )
    assert at.title[0].value == "Offline exams"
    rows = [
        [number, None, None, None, 90, "2026-11-21"],
        ["NOPE-1", None, None, None, 120, "2026-11-21"],
    ]
    at.file_uploader(key="offline_upload").upload("bad.xlsx", _sheet(rows)).run()
    assert not at.exception, at.exception
    assert any("nothing was imported" in e.value for e in at.error)
    errors = at.table[0].value  # row number as the index, the message in full
    assert set(errors.index) == {3} and {"Score", "Employee no."} <= set(errors.iloc[:, 0])
    assert not [b for b in at.button if b.key == "offline_import"]
    assert len(_offline(paper_id)) == before


def test_an_employee_does_not_get_the_page(open_page) -> None:
    at = open_page(as_user="employee_a")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/training_offline.py")
