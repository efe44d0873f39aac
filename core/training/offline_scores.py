"""Scores of exams sat on paper, imported from Excel as exam records like the online ones.

Each row names a person (employee number, or name and department), a paper, the score, the
exam date and, optionally, the examiner. The import is all-or-nothing with the CRUD import's
per-row report (sheet row, column, reason): a score outside 0..the paper's total, a person
nobody in the importer's scope is, a paper they cannot see, a date in the future refuse the
whole file. A good file writes one ``exam_record`` per row (``offline``, its number from the
shared allocator, the person's next attempt number at that paper, passed by
``rules.is_passed``) and tells ``outcomes.exam_graded``, so certificates, course completion,
a contractor's entry and points follow exactly as for an online exam; one savepoint holds
them all, so a listener's refusal leaves nothing behind. The caller commits.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import chain, islice
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from sqlalchemy import func
from sqlmodel import Session, col, select

from core import audit
from core.clock import site_today, site_zone
from core.crud.excel import ImportReport
from core.crud.fields import DATE, FLOAT, FieldSpec
from core.crud.headers import RowError, find_header, header_map, known
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.crud.sheets import HEADER_SEARCH, Limits, Refused, Sheet, number_text, open_sheet
from core.crud.validate import Problem, is_blank, parse_all
from core.i18n import Translatable, t
from core.rbac import Actor, values_in_scope
from core.training import outcomes
from core.training.exam_grading import exam_number, store_record
from core.training.rules import is_passed
from models.enums import Action, Module
from models.org import Department, Person
from models.training_exam import ExamAttempt, ExamPaper, ExamRecord

#: The template's columns; the person is the employee number, or the name and department.
COLUMNS: tuple[FieldSpec, ...] = (
    FieldSpec("employee_no", label="field.employee_no", max_length=40),
    FieldSpec("name", label="offline.col.name", max_length=50),
    FieldSpec("department", label="offline.col.department", max_length=100),
    FieldSpec("paper", label="offline.col.paper", max_length=100),
    FieldSpec("score", kind=FLOAT, label="offline.col.score", required=True, min=0),
    FieldSpec("exam_date", kind=DATE, label="offline.col.exam_date", required=True),
    FieldSpec("examiner", label="offline.col.examiner", max_length=50),
)
_FILL = PatternFill("solid", fgColor="DDE7F3")
_BOLD = Font(bold=True, color="B00020")


@dataclass(frozen=True)
class OfflineScore:
    """One score to record; ``row`` is the sheet row it came from (0: not from a sheet)."""

    person_id: int
    paper_id: int
    score: float
    exam_date: date
    examiner: str | None = None
    row: int = 0


@dataclass
class ScoreLine:
    """A checked score as the preview and the result list show it."""

    score: OfflineScore
    person: str
    employee_no: str
    paper: str
    passed: bool
    exam_no: str = ""
    attempt: int = 0


@dataclass
class ScoreImport:
    """The report (``report.ok``: nothing wrong) and the lines read, or written."""

    report: ImportReport = field(default_factory=ImportReport)
    lines: list[ScoreLine] = field(default_factory=list)


class RowRefused(Exception):
    """A listener refused the consequences of one row's score: the whole file is undone."""

    def __init__(self, row: int, reason: Translatable) -> None:
        super().__init__(reason.key)
        self.row, self.reason = row, reason


def template(lang: str, paper_name: str = "") -> bytes:
    """The score sheet: labelled columns (required ones in red), and the paper's name filled
    into the first row when one is picked."""
    wb = Workbook()
    ws = wb.active
    ws.title = t("offline.template_sheet", lang)[:31]
    for n, f in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=n, value=f.label_in(lang))
        cell.fill = _FILL
        if f.required or f.name == "paper":
            cell.font = _BOLD
        cell.comment = Comment(t(f"offline.hint.{f.name}", lang), "SafeLoop")
        ws.column_dimensions[cell.column_letter].width = 16
    if paper_name:
        ws.cell(row=2, column=[f.name for f in COLUMNS].index("paper") + 1, value=paper_name)
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Reach:
    """The people and papers the importer may reach, looked up once per value."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self.people = visible(get_spec("person"), actor)
        self.papers = visible(get_spec("exam_paper"), actor)

    def _one(self, stmt: Any) -> Any:
        rows = self.session.exec(stmt.limit(2)).all()
        if len(rows) > 1:
            raise ValueError("validation.fk_ambiguous")
        if not rows:
            raise LookupError("validation.fk_missing")
        return rows[0]

    def person(self, person_id: int) -> Person:
        return self._one(self.people.where(Person.id == person_id))

    def person_by_no(self, number: str) -> Person:
        return self._one(self.people.where(Person.employee_no == number))

    def person_by_name(self, name: str, department: str | None) -> Person:
        stmt = self.people.where(Person.name == name)
        if department:
            dept = select(Department.id).where(Department.name == department)
            stmt = stmt.where(col(Person.department_id).in_(dept))
        return self._one(stmt)

    def paper(self, value: int | str) -> ExamPaper:
        if isinstance(value, int):
            return self._one(self.papers.where(ExamPaper.id == value))
        return self._one(self.papers.where(ExamPaper.name == value))


def _lookup_problem(column: str, exc: Exception, value: Any) -> Problem:
    return Problem(column, str(exc.args[0]), {"value": value})


def _rules(
    session: Session,
    actor: Actor,
    person: Person | None,
    paper: ExamPaper | None,
    values: dict[str, Any],
    person_col: str,
) -> list[Problem]:
    """A score's own rules, checked as far as its person and paper are known."""
    problems = []
    score = values.get("score")
    if paper is not None and score is not None and not 0 <= score <= paper.total_score:
        params = {"score": f"{score:g}", "total": f"{paper.total_score:g}"}
        problems.append(Problem("score", "offline.score_out_of_range", params))
    if values.get("exam_date") is not None and values["exam_date"] > site_today():
        problems.append(Problem("exam_date", "offline.future_date", {}))
    if person is not None:
        where = {"enterprise_id": person.enterprise_id, "department_id": person.department_id}
        where["created_by"] = actor.user_id
        if not values_in_scope(session, get_spec("exam_record").scope, actor, where):
            problems.append(Problem(person_col, "error.out_of_scope", {}))
    return problems


def _line(score: OfflineScore, person: Person, paper: ExamPaper) -> ScoreLine:
    passed = is_passed(score.score, paper.pass_score)
    return ScoreLine(score, person.name, person.employee_no or "", paper.name, passed)


def record_scores(
    session: Session, actor: Actor, scores: list[OfflineScore], *, filename: str = ""
) -> list[ExamRecord]:
    """Check and write scores given by id (the import's second half; tests and scripts call
    it directly); the records in the order given. Any problem refuses all of them
    (``ValidationFailed``)."""
    actor.require(Module.TRAINING, Action.CREATE)
    reach = _Reach(session, actor)
    lines, problems = [], []
    for score in scores:
        try:
            person = reach.person(score.person_id)
        except (LookupError, ValueError) as exc:
            problems.append(_lookup_problem("person_id", exc, score.person_id))
            continue
        try:
            paper = reach.paper(score.paper_id)
        except (LookupError, ValueError) as exc:
            problems.append(_lookup_problem("paper_id", exc, score.paper_id))
            continue
        values = {"score": score.score, "exam_date": score.exam_date}
        problems += _rules(session, actor, person, paper, values, "person_id")
        lines.append(_line(score, person, paper))
    if problems:
        raise ValidationFailed(problems)
    return _write(session, actor, lines, filename)


def _attempts_used(session: Session, person_id: int, paper_id: int) -> int:
    """The highest attempt number this person has at the paper, online or offline."""
    online = session.exec(
        select(func.max(ExamAttempt.attempt_no)).where(
            ExamAttempt.person_id == person_id, ExamAttempt.paper_id == paper_id
        )
    ).one()
    recorded = session.exec(
        select(func.max(ExamRecord.attempt)).where(
            ExamRecord.person_id == person_id, ExamRecord.paper_id == paper_id
        )
    ).one()
    return max(online or 0, recorded or 0)


def _moment(day: date) -> datetime:
    """An exam date as the start of that site-local day, stored in UTC."""
    return datetime.combine(day, time(), tzinfo=site_zone()).astimezone(UTC)


def _write(
    session: Session, actor: Actor, lines: list[ScoreLine], filename: str
) -> list[ExamRecord]:
    """One savepoint: every record, its audit entry and its listeners, or nothing. Attempt
    numbers follow the exam dates, per person and paper."""
    used: dict[tuple[int, int], int] = {}
    written: dict[int, ExamRecord] = {}
    with session.begin_nested():
        audit.acting_as(session, actor)
        for line in sorted(lines, key=lambda item: (item.score.exam_date, item.score.row)):
            s = line.score
            pair = (s.person_id, s.paper_id)
            used[pair] = (used[pair] if pair in used else _attempts_used(session, *pair)) + 1
            record = written[id(line)] = _record(session, actor, line, used[pair], filename)
            outcome = outcomes.ExamOutcome(
                person_id=s.person_id,
                paper_id=s.paper_id,
                exam_record_id=record.id or -1,
                score=s.score,
                passed=line.passed,
                submitted_at=record.started_at,
                attempt_id=None,
            )
            try:
                outcomes.exam_graded(session, actor, outcome)
            except Translatable as exc:
                raise RowRefused(s.row, exc) from exc
    return [written[id(line)] for line in lines]


def _record(
    session: Session, actor: Actor, line: ScoreLine, attempt: int, filename: str
) -> ExamRecord:
    s = line.score
    person = session.get(Person, s.person_id)
    when = _moment(s.exam_date)
    answers: dict[str, Any] = {"items": {}, "wrong": [], "source": filename or "offline"}
    if s.examiner:
        answers["examiner"] = s.examiner
    record = ExamRecord(
        exam_no=exam_number(session, when),
        paper_id=s.paper_id,
        person_id=s.person_id,
        attempt=attempt,
        started_at=when,
        submitted_at=when,
        score=s.score,
        passed=line.passed,
        answers=answers,
        offline=True,
        enterprise_id=person.enterprise_id if person else None,
        department_id=person.department_id if person else None,
        created_by=actor.user_id,
    )
    store_record(session, actor, record)
    line.exam_no, line.attempt = record.exam_no, attempt
    return record


# --- the Excel file ---------------------------------------------------------------------------


def read_scores(
    session: Session,
    actor: Actor,
    data: bytes,
    lang: str,
    *,
    paper_id: int | None = None,
    limits: Limits | None = None,
) -> ScoreImport:
    """Read and check a filled template without writing (the preview). A blank paper cell
    means ``paper_id``, the paper picked on the page."""
    actor.require(Module.TRAINING, Action.CREATE)
    result = ScoreImport()
    limits = limits or Limits.from_settings()
    try:
        sheet = open_sheet(data, limits)
    except Refused as exc:
        result.report.errors.append(RowError(0, "", exc.message(lang)))
        return result
    try:
        _read(session, actor, sheet, lang, paper_id, limits, result)
    except Refused as exc:
        result.report.errors = [RowError(0, "", exc.message(lang))]
    finally:
        sheet.close()
    return result


def import_scores(
    session: Session,
    actor: Actor,
    data: bytes,
    lang: str,
    *,
    paper_id: int | None = None,
    filename: str = "",
    limits: Limits | None = None,
) -> ScoreImport:
    """Read, check and, when every row is right, write every score; otherwise nothing."""
    result = read_scores(session, actor, data, lang, paper_id=paper_id, limits=limits)
    report = result.report
    if report.ok:
        try:
            _write(session, actor, result.lines, filename)
            report.created = len(result.lines)
        except RowRefused as exc:
            report.errors.append(RowError(exc.row, "", exc.reason.message(lang)))
    if not report.ok:
        detail = {"filename": filename, "rows": report.rows, "errors": len(report.errors)}
        audit.record(session, actor, "import_rejected", table_name="exam_record", detail=detail)
    return result


def _read(
    session: Session,
    actor: Actor,
    sheet: Sheet,
    lang: str,
    paper_id: int | None,
    limits: Limits,
    result: ScoreImport,
) -> None:
    report = result.report
    rows = sheet.rows()
    head = list(islice(rows, HEADER_SEARCH))
    if not head:
        report.errors.append(RowError(0, "", t("import.empty", lang)))
        return
    top = find_header([r for _, r in head], set(known(COLUMNS)))
    report.header_row = head[top][0]
    columns = header_map(COLUMNS, head[top][1], lang, set(), report.header_row)
    report.errors = columns.errors
    if report.errors:
        return
    reach, seen = _Reach(session, actor), {}
    # A row holding nothing but a paper (the template fills one into row 2) is an empty row.
    paper_at = next((i for i, f in columns.fields.items() if f.name == "paper"), None)
    for row_no, row in chain(head[top + 1 :], rows):
        if all(is_blank(v) for i, v in enumerate(row) if i != paper_at):
            continue
        report.rows += 1
        if report.rows > limits.rows:
            raise Refused("import.too_many_rows", limit=limits.rows)
        raw = {f.name: row[i] if i < len(row) else None for i, f in columns.fields.items()}
        raw["score"] = number_text(raw.get("score"))
        line = _row(session, actor, reach, row_no, raw, paper_id, lang, report)
        if line is None:
            continue
        key = (line.score.person_id, line.score.paper_id, line.score.exam_date)
        if key in seen:
            _error(
                report,
                row_no,
                "employee_no",
                lang,
                t("import.duplicate_in_file", lang, row=seen[key]),
            )
        seen.setdefault(key, row_no)
        result.lines.append(line)
    if not report.rows:
        report.errors.append(RowError(0, "", t("import.no_rows", lang)))


def _error(report: ImportReport, row: int, column: str, lang: str, message: str) -> None:
    label = next(f.label_in(lang) for f in COLUMNS if f.name == column)
    report.errors.append(RowError(row, label, message))


def _row(
    session: Session,
    actor: Actor,
    reach: _Reach,
    row_no: int,
    raw: dict[str, Any],
    paper_id: int | None,
    lang: str,
    report: ImportReport,
) -> ScoreLine | None:
    """One sheet row: typed values, then person and paper resolved in scope, then the
    score's rules; every problem goes to the report under its column."""
    values, problems = parse_all(COLUMNS, raw)
    person_col = "employee_no" if values.get("employee_no") or not values.get("name") else "name"
    person = paper = None
    try:
        if values.get("employee_no"):
            person = reach.person_by_no(values["employee_no"])
        elif values.get("name"):
            person = reach.person_by_name(values["name"], values.get("department"))
        else:
            problems.append(Problem("employee_no", "offline.no_person", {}))
    except (LookupError, ValueError) as exc:
        value = values.get("employee_no") or values.get("name")
        problems.append(_lookup_problem(person_col, exc, value))
    try:
        paper_value = values.get("paper") or paper_id
        if paper_value is None:
            problems.append(Problem("paper", "validation.required", {}))
        else:
            paper = reach.paper(paper_value)
    except (LookupError, ValueError) as exc:
        problems.append(_lookup_problem("paper", exc, values.get("paper")))
    problems += _rules(session, actor, person, paper, values, person_col)
    for p in problems:
        _error(report, row_no, p.field, lang, p.message(lang))
    if problems or person is None or paper is None:
        return None
    score = OfflineScore(person.id or -1, paper.id or -1, float(values["score"]),
                         values["exam_date"], values.get("examiner"), row_no)  # fmt: skip
    return _line(score, person, paper)
