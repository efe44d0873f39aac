"""What a passed exam proves and where the proof is kept: the certificate it issues (once,
with its expiry, feeding the reminder), a contractor worker's entry pass taken from the
attempt, the person's archive within scope, the department register with who is overdue,
and the 三级安全教育卡 read back from its PDF and Excel."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, SQLModel, select

from core.audit.chain import AuditEntry
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.db import make_engine
from core.rbac import SYSTEM, Actor
from core.training.archive import archive_of, people_in_reach
from core.training.coverage import department_register, register_workbook
from core.training.education_card import card_pdf, card_xlsx, file_pdf, file_xlsx
from core.training.exam_attempts import save_answer, start_attempt, submit
from core.training.outcomes import ExamOutcome, exam_graded
from core.training.reminders import CERTIFICATE_EXPIRY
from models.contractor import Contractor, ContractorWorker, WorkerStatus
from models.enums import Role, Scope
from models.training import (
    EducationLevel,
    TrainingCertificate,
    TrainingCertificateKind,
    TrainingCourse,
    TrainingRecord,
)
from models.training_exam import ExamPaper, ExamRecord, Question, QuestionKind
from models.training_learning import AssignmentState, TrainingAssignment
from tests.factories import Org, build_org
from tests.org_template import build_template, copied_session
from tests.pg import pg_available, temp_pg_database

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TODAY = date(2026, 11, 24)


def _actor(org: Org, person_id: int, user_id: int, scope: Scope = Scope.OWN, **more) -> Actor:
    return Actor(
        user_id=user_id,
        username=f"u{user_id}",
        roles=frozenset({Role.EMPLOYEE}),
        scope=scope,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=person_id,
        grants=frozenset({("training", "view"), *more.get("grants", ())}),
    )


def _manager(org: Org) -> Actor:
    return Actor(
        user_id=901,
        username="manager",
        roles=frozenset({"safety_manager"}),
        scope=Scope.ENTERPRISE,
        enterprise_id=org.ent1,
        grants=frozenset({("training", a) for a in ("view", "approve", "export")}),
    )


def _questions(session: Session) -> None:
    for n in range(1, 4):
        session.add(Question(code=f"A{n}", kind=QuestionKind.TRUE_FALSE, stem=f"题{n}", answer="T"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Org]:
    return build_template(tmp_path_factory.mktemp("archive"), _questions)


@pytest.fixture
def world(template, tmp_path: Path):
    with copied_session(template[0], tmp_path / "archive.db") as session:
        yield session, template[1]


def _course(session: Session, org: Org, name: str, level=None, hours: float = 8) -> int:
    course = TrainingCourse(
        name=name, hours=hours, level=level, enterprise_id=org.ent1, teacher="刘老师"
    )
    session.add(course)
    session.flush()
    return course.id or -1


def _paper(session: Session, org: Org, course_id: int | None = None, **values) -> int:
    ids = list(session.exec(select(Question.id).order_by(Question.id)).all())
    paper = ExamPaper(
        name="入厂考试",
        course_id=course_id,
        question_ids=ids,
        total_score=90,
        pass_score=60,
        enterprise_id=org.ent1,
        **values,
    )
    session.add(paper)
    session.flush()
    return paper.id or -1


def _sit(session: Session, actor: Actor, paper_id: int, right: int, when: datetime) -> ExamRecord:
    """Sit the paper, answering ``right`` of the three questions right; the graded record."""
    attempt = start_attempt(session, actor, paper_id, when)
    for position in range(1, 4):
        answer = "T" if position <= right else "F"
        save_answer(session, actor, attempt.id, position, answer, when + timedelta(minutes=1))
    submit(session, actor, attempt.id, when + timedelta(minutes=2))
    return session.get(ExamRecord, attempt.exam_record_id)


def test_a_passed_paper_issues_one_certificate_that_feeds_the_expiry_reminder(world) -> None:
    session, org = world
    course = _course(session, org, "新员工厂级安全教育", EducationLevel.PLANT)
    paper = _paper(session, org, course, certificate_months=12, attempts_allowed=3)
    me = _actor(org, org.person_a, 1)

    failed = _sit(session, me, paper, 1, T0)
    assert not failed.passed
    assert session.exec(select(TrainingCertificate)).all() == []

    record = _sit(session, me, paper, 3, T0 + timedelta(hours=15))  # 00:00 next day, Shanghai
    certs = session.exec(select(TrainingCertificate)).all()
    assert len(certs) == 1
    cert = certs[0]
    assert cert.issued_on == date(2026, 11, 25), "the site-local day of the submission"
    assert cert.expires_on == date(2027, 11, 25)
    assert cert.number == "PX2026112500001"
    assert (cert.person_id, cert.course_id, cert.exam_record_id) == (
        org.person_a,
        course,
        record.id,
    )
    assert cert.kind == TrainingCertificateKind.THREE_LEVEL and cert.enterprise_id == org.ent1

    # the same grade told again (a retry of the transaction's listeners) issues nothing new
    outcome = ExamOutcome(org.person_a, paper, record.id, record.score, True, record.submitted_at)
    exam_graded(session, me, outcome)
    assert len(session.exec(select(TrainingCertificate)).all()) == 1

    horizon = cert.expires_on
    due = select(TrainingCertificate.id).where(CERTIFICATE_EXPIRY.due_clause(horizon))
    assert session.exec(due).all() == [cert.id], "its expiry reminds the holder"


def test_a_paper_without_validity_issues_no_certificate(world) -> None:
    session, org = world
    paper = _paper(session, org)
    _sit(session, _actor(org, org.person_a, 1), paper, 3, T0)
    assert session.exec(select(TrainingCertificate)).all() == []


def test_contractor_entry_pass_comes_from_the_attempt_and_cannot_be_typed(world) -> None:
    session, org = world
    company = Contractor(name="苏州安建", credit_code="91320500X", enterprise_id=org.ent1)
    session.add(company)
    session.flush()
    worker = ContractorWorker(
        contractor_id=company.id, name="张伟", person_id=org.person_a, enterprise_id=org.ent1
    )
    other = ContractorWorker(contractor_id=company.id, name="别人", enterprise_id=org.ent1)
    session.add_all([worker, other])
    session.flush()
    spec = get_spec("contractor_worker")
    on_site = {"status": WorkerStatus.IN_PLANT, "pass_no": "RC1", "pass_expires_on": None}
    with pytest.raises(ValidationFailed) as refused:
        service.update_row(session, spec, SYSTEM, worker.id, on_site)
    assert [p.field for p in refused.value.problems] == ["training_passed_on"]
    paper = _paper(session, org, contractor_entry=True)
    record = _sit(session, _actor(org, org.person_a, 1), paper, 2, T0)

    session.refresh(worker)
    assert worker.training_passed_on == date(2026, 11, 24)
    assert worker.exam_score == record.score == 60
    assert worker.exam_record_id == record.id
    assert session.get(ContractorWorker, other.id).training_passed_on is None
    audited = session.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "contractor_worker", AuditEntry.row_id == worker.id
        )
    ).all()
    assert any((e.after or {}).get("training_passed_on") == "2026-11-24" for e in audited)

    service.update_row(session, spec, SYSTEM, worker.id, on_site)  # the entry pass reads it
    assert session.get(ContractorWorker, worker.id).status == WorkerStatus.IN_PLANT
    fields = {f.name: f for f in spec.fields}
    for name in ("training_passed_on", "exam_score", "exam_record_id"):
        assert not fields[name].in_form and not fields[name].in_io, name
    with pytest.raises(ValidationFailed) as typed:  # nor through the engine by any other way
        service.update_row(session, spec, SYSTEM, other.id, {"training_passed_on": T0.date()})
    assert [p.key for p in typed.value.problems] == ["validation.contractor.entry_by_exam"]


def _records(session: Session, org: Org) -> None:
    """Three levels of new-hire education for person_a, and one record of person_a2."""
    for level, name, day in (
        (EducationLevel.PLANT, "厂级安全教育", date(2026, 3, 2)),
        (EducationLevel.WORKSHOP, "车间级安全教育", date(2026, 3, 4)),
        (EducationLevel.TEAM, "班组级安全教育", date(2026, 3, 6)),
        (None, "消防安全“四个能力”", date(2025, 6, 1)),
    ):
        course = _course(session, org, name, level, hours=8 if level else 2)
        session.add(
            TrainingRecord(
                person_id=org.person_a,
                course_id=course,
                trained_on=day,
                hours=8 if level else 2,
                score=92,
                trainer="刘老师",
                enterprise_id=org.ent1,
                department_id=org.dept_a,
            )
        )
    other = _course(session, org, "李娜的课程")
    session.add(
        TrainingRecord(
            person_id=org.person_a2,
            course_id=other,
            trained_on=TODAY,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )
    )
    session.flush()


def test_the_archive_is_the_persons_own_or_their_managers(world) -> None:
    session, org = world
    _records(session, org)
    me = _actor(org, org.person_a, 1)
    archive = archive_of(session, me, org.person_a, TODAY)
    assert archive.person.name == "张伟"
    assert [c.course for c in archive.courses][:1] == ["消防安全“四个能力”"]
    assert archive.hours_by_year == {2025: 2, 2026: 24}
    assert archive.hours_by_level == {"plant": 8, "workshop": 8, "team": 8, "": 2}
    assert people_in_reach(session, me) == {org.person_a: "张伟"}
    with pytest.raises(NotFound):
        archive_of(session, me, org.person_a2, TODAY)

    dept_head = _actor(org, org.person_a2, 2, scope=Scope.DEPARTMENT)
    assert set(people_in_reach(session, dept_head)) == {org.person_a, org.person_a2}
    assert archive_of(session, dept_head, org.person_a, TODAY).total_hours == 26
    with pytest.raises(NotFound):
        archive_of(session, dept_head, org.person_b, TODAY)  # another workshop


def _assign(session: Session, org: Org, person: int, course: int, due: date, state) -> None:
    session.add(
        TrainingAssignment(
            person_id=person,
            course_id=course,
            assigned_on=due - timedelta(days=30),
            due_on=due,
            state=state,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
        )
    )


def test_the_department_register_counts_coverage_and_names_who_is_overdue(world) -> None:
    _register_checks(*world)


def test_register_and_certificate_on_postgresql() -> None:
    """The GROUP BY sums and the certificate's number allocator, in PostgreSQL's dialect."""
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    with temp_pg_database() as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            org = build_org(session)
            _questions(session)
            _register_checks(session, org)
            paper = _paper(session, org, certificate_months=36)
            _sit(session, _actor(org, org.person_a, 1), paper, 3, T0)
            cert = session.exec(select(TrainingCertificate)).one()
            assert (cert.number, cert.expires_on) == ("PX2026112400001", date(2029, 11, 24))
        engine.dispose()


def _register_checks(session: Session, org: Org) -> None:
    fire = _course(session, org, "消防安全")
    power = _course(session, org, "临时用电")
    late = TODAY - timedelta(days=5)
    S = AssignmentState
    _assign(session, org, org.person_a, fire, late, S.COMPLETED)
    _assign(session, org, org.person_a, power, late, S.IN_PROGRESS)  # overdue
    _assign(session, org, org.person_a2, fire, late, S.ASSIGNED)  # overdue
    _assign(session, org, org.person_a2, power, TODAY + timedelta(days=9), S.ASSIGNED)
    _assign(session, org, org.person_a2, _course(session, org, "免训课"), late, S.WAIVED)
    session.flush()

    reg = department_register(session, _manager(org), org.dept_a, TODAY)
    people = {p.name: (p.due, p.completed, p.overdue, p.percent) for p in reg.people}
    assert people == {"张伟": (2, 1, 1, 50.0), "李娜": (2, 0, 1, 0.0)}
    courses = {c.name: (c.due, c.completed, c.overdue) for c in reg.courses}
    assert courses["消防安全"] == (2, 1, 1) and courses["临时用电"] == (2, 0, 1)
    assert sorted((o.person, o.course, o.days_late) for o in reg.overdue) == [
        ("张伟", "临时用电", 5),
        ("李娜", "消防安全", 5),
    ]
    assert (reg.total.due, reg.total.completed, reg.total.percent) == (4, 1, 25.0)

    book = load_workbook(
        io.BytesIO(register_workbook(session, _manager(org), org.dept_a, TODAY, "en"))
    )
    overdue = [row for row in book["Overdue"].iter_rows(values_only=True)]
    assert ("李娜", "消防安全", datetime(2026, 11, 19), 5) in overdue
    with pytest.raises(NotFound):
        department_register(
            session, _actor(org, org.person_b, 3, scope=Scope.DEPARTMENT), org.dept_e2, TODAY
        )


def _pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="reads the PDF back with poppler's pdftotext"
)
def test_the_education_card_pdf_reads_back_levels_hours_and_signatures(world) -> None:
    session, org = world
    _records(session, org)
    me = _actor(org, org.person_a, 1)  # an employee keeps their own card
    text = _pdf_text(card_pdf(session, me, org.person_a, TODAY, "zh-CN"))
    for expected in (
        "三级安全教育卡",
        "张伟",
        "厂级",
        "车间级",
        "班组级",
        "受教育人签字",
        "教育人签字",
        "安全管理部门意见",
        "第十三条",
    ):
        assert expected in text, expected
    assert "24" in text and "厂级安全教育" in text and "92" in text

    english = _pdf_text(card_pdf(session, me, org.person_a, TODAY, "en"))
    assert "Three-level safety education card" in english and "Learner's signature" in english

    file_text = _pdf_text(file_pdf(session, me, org.person_a, TODAY, "zh-CN"))
    assert "个人培训档案" in file_text and "消防安全" in file_text and "26" in file_text
    exports = session.exec(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert len(exports) == 3


def test_the_card_and_file_as_excel_and_nobody_elses(world) -> None:
    session, org = world
    _records(session, org)
    session.add(
        TrainingRecord(
            person_id=org.person_a,
            course_id=_course(session, org, '=HYPERLINK("x")', EducationLevel.TEAM),
            trained_on=TODAY,
            enterprise_id=org.ent1,
        )
    )
    session.flush()
    me = _actor(org, org.person_a, 1)
    book = load_workbook(io.BytesIO(card_xlsx(session, me, org.person_a, TODAY, "zh-CN")))
    cells = [
        str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None
    ]
    assert "张伟" in cells and "二、车间级安全教育" in cells and "受教育人签字：" in cells
    assert any(c.startswith("'=HYPERLINK") for c in cells), "a formula is neutralised"

    file_book = load_workbook(io.BytesIO(file_xlsx(session, me, org.person_a, TODAY, "en")))
    assert "Training attended" in file_book.sheetnames
    with pytest.raises(NotFound):
        card_xlsx(session, me, org.person_a2, TODAY, "zh-CN")
