"""Compliance: the regulation library from the reference files, assessment scoring, the
knowledge base's Chinese search, and the demo."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from core.compliance.rules import grade_for, summarise
from core.crud.registry import get_spec
from core.crud.service import ListQuery, ValidationFailed, create_row, list_rows
from core.demo import DEMO_SEED
from core.demogen import generate_all
from core.rbac import SYSTEM, actor_for
from models.accounts import User
from models.compliance import KbDocument, Regulation, RegulationClause
from models.compliance_assessment import (
    AssessmentGrade,
    AssessmentItem,
    AssessmentResult,
    AssessmentState,
)
from models.enums import DocumentState
from tests.modules.conftest import TODAY

S_COUNTS = {"kb_document": 100, "assessment_template": 1, "assessment_item": 40,
            "assessment_result": 12}  # fmt: skip


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _regulation(session: Session, doc_no: str) -> Regulation:
    return session.exec(select(Regulation).where(Regulation.doc_no == doc_no)).one()


def test_library_is_loaded_with_linked_clauses(demo_session: Session) -> None:
    assert _count(demo_session, Regulation) == 28
    assert _count(demo_session, RegulationClause) == 55
    codes = dict(demo_session.exec(select(Regulation.id, Regulation.code)).all())
    for clause in demo_session.exec(select(RegulationClause)):
        assert codes[clause.regulation_id] == clause.regulation_code


def test_known_regulations(demo_session: Session) -> None:
    law = _regulation(demo_session, "主席令第88号")
    assert law.level == "law" and law.effective_on == date(2021, 9, 1)
    assert _regulation(demo_session, "GB 30871-2022").title == "危险化学品企业特殊作业安全规范"
    old = _regulation(demo_session, "AQ/T 9006-2010")
    assert (old.status, old.replaced_by) == ("repealed", "GB/T 33000-2016")
    grades = demo_session.exec(
        select(RegulationClause).where(RegulationClause.code == "REG-493/第三条")
    ).one()
    assert grades.module == "incident"


def test_clause_form_fills_the_regulation_code(demo_session: Session) -> None:
    gbz = _regulation(demo_session, "GBZ 188-2014")
    raw = {
        "code": "T-1",
        "regulation_id": gbz.id,
        "clause_no": "5.1",
        "text": "粉尘作业人员检查周期",
    }
    clause = create_row(demo_session, get_spec("regulation_clause"), SYSTEM, raw)
    assert clause.regulation_code == "GBZ-188"


@pytest.mark.parametrize(
    ("rate", "grade"),
    [(95, "level_1"), (90, "level_1"), (89.9, "level_2"), (75, "level_2"), (60, "level_3"),
     (59.9, "fail")],
)  # fmt: skip
def test_grade_thresholds(rate: float, grade: str) -> None:
    assert grade_for(rate) == grade


def test_summary_counts_gaps_and_caps_scores() -> None:
    maxima = {"1.1": 10.0, "1.2": 10.0, "2.1": 20.0}
    out = summarise({"1.1": 10, "1.2": 4}, maxima)
    assert out == {"total": 14.0, "max_total": 40.0, "score_rate": 35.0, "gaps": 2,
                   "grade": AssessmentGrade.FAIL}  # fmt: skip


def _template(session: Session) -> int:
    template = create_row(session, get_spec("assessment_template"), SYSTEM, {"name": "测试自评"})
    for code, top in (("1.1", 40.0), ("1.2", 60.0)):
        raw = {"template_id": template.id, "code": code, "element": "目标职责",
               "requirement": "要求", "method": "evidence", "max_score": top}  # fmt: skip
        create_row(session, get_spec("assessment_item"), SYSTEM, raw)
    return template.id


def test_result_is_scored_on_save(demo_session: Session) -> None:
    template_id = _template(demo_session)
    spec = get_spec("assessment_result")
    raw = {"template_id": template_id, "period": "2026", "scores": {"1.1": 40, "1.2": 51}}
    result = create_row(demo_session, spec, SYSTEM, raw)
    assert (result.total, result.score_rate, result.gaps, result.grade) == (
        91.0,
        91.0,
        1,
        "level_1",
    )
    for bad in ({"9.9": 1}, {"1.1": 41}, {"1.2": "x"}):
        with pytest.raises(ValidationFailed):
            create_row(demo_session, spec, SYSTEM, raw | {"scores": bad})


def test_demo_counts_at_s(run_generator) -> None:
    assert run_generator("compliance") == S_COUNTS


def test_demo_template_scores_to_100_and_search_finds_chinese(
    demo_session: Session, run_generator
) -> None:
    run_generator("compliance")
    items = demo_session.exec(select(AssessmentItem)).all()
    assert round(sum(i.max_score for i in items), 1) == 100.0
    assert {i.method for i in items} == {"auto", "evidence"}
    results = demo_session.exec(select(AssessmentResult)).all()
    assert all(0 <= r.score_rate <= 100 and r.max_total == pytest.approx(100) for r in results)
    found = list_rows(demo_session, get_spec("kb_document"), SYSTEM, ListQuery(search="动火"))
    assert found.rows and all(
        "动火" in r.title or "动火" in r.body or "动火" in (r.source_incident or "")
        for r in found.rows
    )


def test_demo_articles_are_mostly_published_and_read_by_the_staff(
    demo_session: Session, run_generator
) -> None:
    run_generator("compliance")
    docs = demo_session.exec(select(KbDocument)).all()
    published = [d for d in docs if d.state == DocumentState.PUBLISHED]
    assert 0.8 <= len(published) / len(docs) < 1
    assert all(d.published_on is None for d in docs if d.state == DocumentState.DRAFT)
    spec = get_spec("kb_document")
    for name in ("dept_head", "inspector", "employee"):
        user = demo_session.exec(select(User).where(User.username == name)).one()
        reader = actor_for(demo_session, user)
        seen = list_rows(demo_session, spec, reader, ListQuery(page_size=200)).rows
        ours = {d.id for d in published if d.enterprise_id == user.enterprise_id}
        assert {d.id for d in seen} == ours and len(ours) > 50, name
    results = demo_session.exec(select(AssessmentResult)).all()
    assert {r.state for r in results if r.period < str(TODAY.year)} == {AssessmentState.REVIEWED}
    assert {r.state for r in results if r.period == str(TODAY.year)} == {AssessmentState.SUBMITTED}


def _rows(session: Session, model: type) -> list[tuple]:
    skip = {"id", "created_at", "updated_at", "template_id"}
    cols = [c.name for c in model.__table__.columns if c.name not in skip]
    rows = session.exec(select(model).order_by(model.id)).all()
    return [tuple(getattr(r, c) for c in cols) for r in rows]


def _one_run(engine) -> dict[str, list[tuple]]:
    """The generator's rows in a transaction of its own, rolled back afterwards (the
    template's name is unique, so two runs cannot share one transaction)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        generate_all(session, seed=DEMO_SEED, scale="S", today=TODAY,
                     progress=lambda _f, _m: None, only={"compliance"})  # fmt: skip
        rows = {
            m.__name__: _rows(session, m) for m in (KbDocument, AssessmentItem, AssessmentResult)
        }
        session.close()
        transaction.rollback()
    return rows


def test_same_seed_gives_same_rows(demo_engine) -> None:
    assert _one_run(demo_engine) == _one_run(demo_engine)
