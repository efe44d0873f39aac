"""Offline exams as the safety office runs them: print a paper (and, for the bank's editors,
its key), sit it on paper, import the scores from Excel as exam records that count like
online ones; exam records are never typed in; a paper's rules must add up to its total."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from core import installed
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.i18n import Translatable, t
from core.rbac import Actor, PermissionDenied
from core.training import outcomes
from core.training.exam_attempts import ExamRefused, start_attempt
from core.training.offline_scores import import_scores, template
from core.training.paper_print import paper_pdf
from core.training.paper_rules import mismatch
from models.org import Person
from models.training_exam import ExamPaper, ExamPaperRule, ExamRecord, Question, QuestionKind
from tests.factories import Org, Users, make, serial

K = QuestionKind
#: (kind, stem, options, key, explanation); keys and explanations are words found nowhere else.
BANK = [
    (K.SINGLE, "Which extinguisher suits an electrical fire?", ["Water", "Carbondioxide"], "B"),
    (K.TRUE_FALSE, "A fire door may be wedged open.", [], "F"),
    (K.FILL_IN, "The fire brigade's number is ____.", [], "quebec119|xrayalarm"),
    (K.SHORT_ANSWER, "Describe the evacuation route check.", [], "Referencekilo stairs first"),
]
SECRETS = ("quebec119", "xrayalarm", "Referencekilo", "Explainzulu")


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("reads the PDF back with poppler's pdftotext (poppler-utils)")
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def fixed_paper(session: Session, org: Org, **values) -> ExamPaper:
    ids = []
    for kind, stem, options, key in BANK:
        q = Question(code=f"OFF{serial()}", kind=kind, stem=stem, options=options, answer=key,
                     analysis="Explainzulu")  # fmt: skip
        session.add(q)
        session.flush()
        ids.append(q.id)
    values = {"total_score": 100, "pass_score": 60, **values}
    paper = ExamPaper(name=f"消防线下考试{serial()}", question_ids=ids, enterprise_id=org.ent1,
                      **values)  # fmt: skip
    session.add(paper)
    session.flush()
    return paper


def employee_no(session: Session, person_id: int) -> str:
    return session.get(Person, person_id).employee_no


def sheet(rows: list[list]) -> bytes:
    """The downloaded template, filled in as a user would."""
    book = load_workbook(io.BytesIO(template("zh-CN")))
    ws = book.active
    for n, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            ws.cell(row=n, column=c, value=value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def offline_records(session: Session, paper_id: int) -> list[ExamRecord]:
    stmt = select(ExamRecord).where(ExamRecord.paper_id == paper_id, col(ExamRecord.offline))
    return list(session.exec(stmt.order_by(col(ExamRecord.id))).all())


# --- the printed paper ------------------------------------------------------------------------


def test_the_candidate_sheet_has_the_questions_and_never_the_key(
    session: Session, org: Org, users: Users
) -> None:
    paper = fixed_paper(session, org)
    sheet_text = pdf_text(paper_pdf(session, users.safety_head, paper.id, 7, lang="en"))
    key_text = pdf_text(paper_pdf(session, users.safety_head, paper.id, 7, key=True, lang="en"))

    for _kind, stem, _options, _key in BANK:
        assert stem[:30] in sheet_text and stem[:30] in key_text
    assert "Carbondioxide" in sheet_text and "Name" in sheet_text
    assert not [s for s in SECRETS if s in sheet_text]
    assert all(s in key_text for s in SECRETS)
    assert "Variant 7" in sheet_text and "Variant 7" in key_text  # the key belongs to this print


def test_only_the_banks_editors_get_the_key(session: Session, org: Org, users: Users) -> None:
    paper = fixed_paper(session, org)
    with pytest.raises(PermissionDenied):
        paper_pdf(session, users.employee_a, paper.id, 1, key=True)


def test_a_rule_set_paper_is_drawn_once_for_the_print_in_chinese(
    session: Session, org: Org, users: Users
) -> None:
    paper = fixed_paper(session, org, total_score=4, pass_score=2)
    paper.question_ids = []
    for pos, (kind, *_rest) in enumerate(BANK, start=1):
        session.add(
            ExamPaperRule(paper_id=paper.id, position=pos, kind=kind, count=1, points_each=1)
        )
    session.flush()
    text = pdf_text(paper_pdf(session, users.safety_head, paper.id, 3, lang="zh-CN"))
    assert "单选题" in text and "简答题" in text and "姓名" in text
    assert not [s for s in SECRETS if s in text]


# --- the score import -------------------------------------------------------------------------


def test_a_good_file_writes_offline_records_with_numbers_and_attempts(
    session: Session, org: Org, users: Users
) -> None:
    paper = fixed_paper(session, org)
    rows = [
        [employee_no(session, org.person_a), None, None, paper.name, 85, "2026-11-20", "王老师"],
        [None, "李娜", "机修车间", paper.name, 50, date(2026, 11, 20)],
    ]
    first = import_scores(session, users.safety_head, sheet(rows), "zh-CN", filename="a.xlsx")
    assert first.report.ok, first.report.errors
    again = import_scores(session, users.safety_head, sheet(rows[:1]), "zh-CN")
    assert again.report.created == 1

    records = offline_records(session, paper.id)
    assert [(r.person_id, r.score, r.passed, r.attempt) for r in records] == [
        (org.person_a, 85, True, 1),
        (org.person_a2, 50, False, 1),
        (org.person_a, 85, True, 2),
    ]
    assert all(r.exam_no.startswith("KS20261120") for r in records)
    assert len({r.exam_no for r in records}) == 3
    assert records[0].answers["examiner"] == "王老师"
    assert records[0].enterprise_id == org.ent1


def test_the_templates_prefilled_paper_row_left_alone_counts_as_empty(
    session: Session, org: Org, users: Users
) -> None:
    paper = fixed_paper(session, org)
    book = load_workbook(io.BytesIO(template("zh-CN", paper.name)))
    ws = book.active
    assert ws.cell(row=2, column=4).value == paper.name
    for row in (3, 5):  # row 2 keeps only the pre-filled paper name; row 4 is left blank
        ws.cell(row=row, column=1, value=employee_no(session, org.person_a))
        ws.cell(row=row, column=5, value=70 + row)
        ws.cell(row=row, column=6, value=f"2026-11-{10 + row}")
    buf = io.BytesIO()
    book.save(buf)

    result = import_scores(session, users.safety_head, buf.getvalue(), "zh-CN", paper_id=paper.id)
    assert result.report.ok, result.report.errors
    assert result.report.rows == 2 and result.report.created == 2
    assert [r.score for r in offline_records(session, paper.id)] == [73, 75]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_bad_row_names_its_row_and_column_and_nothing_is_imported(
    session: Session, org: Org, users: Users, lang: str
) -> None:
    paper = fixed_paper(session, org)
    rows = [
        [employee_no(session, org.person_a), None, None, paper.name, 90, "2026-11-20"],
        ["NOPE-404", None, None, paper.name, 120, "2026-11-20"],
        [employee_no(session, org.person_e2), None, None, paper.name, 70, "2026-11-20"],  # ent 2
    ]
    result = import_scores(session, users.safety_head, sheet(rows), lang)

    number, score = t("field.employee_no", lang), t("offline.col.score", lang)
    errors = {(e.row, e.column): e.message for e in result.report.errors}
    assert set(errors) == {(3, number), (3, score), (4, number)}
    assert "NOPE-404" in errors[(3, number)]
    assert "120" in errors[(3, score)] and "100" in errors[(3, score)]
    assert errors[(4, number)] == t("validation.fk_missing", lang, value=rows[2][0])
    assert result.report.created == 0 and offline_records(session, paper.id) == []


def test_every_exam_graded_listener_hears_an_offline_score(
    session: Session, org: Org, users: Users, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed.load()  # the real listeners are registered before the list is swapped
    heard: list[outcomes.ExamOutcome] = []
    monkeypatch.setattr(outcomes, "_LISTENERS", [lambda _s, _a, outcome: heard.append(outcome)])
    paper = fixed_paper(session, org)
    rows = [[employee_no(session, org.person_a), None, None, None, 75, "2026-11-21"]]
    result = import_scores(session, users.safety_head, sheet(rows), "en", paper_id=paper.id)

    [record] = offline_records(session, paper.id)
    assert result.report.ok
    assert [(o.person_id, o.paper_id, o.exam_record_id, o.score, o.passed, o.attempt_id)
            for o in heard] == [(org.person_a, paper.id, record.id, 75, True, None)]  # fmt: skip


def test_a_listener_refusing_undoes_the_whole_file(
    session: Session, org: Org, users: Users, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed.load()

    def refuse(_s: Session, _a: Actor, outcome: outcomes.ExamOutcome) -> None:
        if outcome.score < 60:
            raise Translatable("error.out_of_scope")

    monkeypatch.setattr(outcomes, "_LISTENERS", [refuse])
    paper = fixed_paper(session, org)
    rows = [
        [employee_no(session, org.person_a), None, None, paper.name, 90, "2026-11-19"],
        [employee_no(session, org.person_a2), None, None, paper.name, 40, "2026-11-20"],
    ]
    result = import_scores(session, users.safety_head, sheet(rows), "en")
    assert [e.row for e in result.report.errors] == [3]
    assert offline_records(session, paper.id) == []


# --- exam records are written by the engine or the import only ---------------------------------


def test_an_exam_record_cannot_be_typed_in_or_edited(
    session: Session, org: Org, users: Users
) -> None:
    spec = get_spec("exam_record")
    paper = fixed_paper(session, org)
    assert not spec.allow_create
    values = {"exam_no": "KS-HAND", "paper_id": paper.id, "person_id": org.person_a, "score": 95,
              "started_at": "2026-11-20T08:00:00+00:00"}  # fmt: skip
    with pytest.raises(PermissionDenied) as refused:
        service.create_row(session, spec, users.admin, values)
    assert refused.value.key == "error.exam.record_by_engine"
    rows = [[employee_no(session, org.person_a), None, None, paper.name, 55, "2026-11-20"]]
    import_scores(session, users.safety_head, sheet(rows), "zh-CN")
    [record] = offline_records(session, paper.id)
    with pytest.raises(PermissionDenied, match=r"error\.record_locked"):
        service.update_row(session, spec, users.admin, record.id, {"score": 95})


# --- rule points against the paper's total -----------------------------------------------------


def test_rules_may_not_pass_the_total_and_a_paper_that_does_not_add_up_cannot_start(
    session: Session, org: Org, users: Users
) -> None:
    manager = users.safety_head
    paper = make(session, "exam_paper", manager, name=f"规则卷{serial()}", total_score=10,
                 pass_score=6, enterprise_id=org.ent1)  # fmt: skip
    first = make(session, "exam_paper_rule", manager, paper_id=paper.id, kind="true_false",
                 count=2, points_each=4)  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        make(session, "exam_paper_rule", manager, paper_id=paper.id, kind="single", count=1,
             points_each=3, position=2)  # fmt: skip
    [problem] = refused.value.problems
    assert problem.field == "points_each" and "11" in problem.message("en")
    assert mismatch(session, paper).params == {"rules": "8", "total": "10"}

    for n in range(3):
        session.add(Question(code=f"RT{serial()}", kind=K.TRUE_FALSE, stem=f"判断{n}", answer="T"))
    session.flush()
    with pytest.raises(ExamRefused) as no_start:
        start_attempt(session, users.employee_a, paper.id)
    assert no_start.value.key == "error.exam.paper_points"

    service.update_row(session, get_spec("exam_paper_rule"), manager, first.id, {"points_each": 5})
    assert mismatch(session, paper) is None  # the rule being edited is not counted twice
