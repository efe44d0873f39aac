"""The documents of a person's training archive: the 三级安全教育卡 (three-level safety education
card: plant, workshop and team level, each with its courses, hours, content, trainer and
score and the places to sign) and the personal training file (个人培训档案), each as an A4 PDF
(CJK, ``core.pdf_kit``) and an Excel workbook (every text cell through ``safe_cell``).

The card prints the pre-job hours the rule asks for (《生产经营单位安全培训规定》 第十三条:
at least 24 hours, 72 in mining, hazardous chemicals, fireworks and metal smelting) beside
the hours attended. Labels follow the language asked for; user text is escaped.

Each document is an export: the actor needs the training export permission, or it is their
own archive; each leaves an audit entry.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

from openpyxl import Workbook
from reportlab.lib.units import mm
from reportlab.platypus import Spacer, TableStyle
from sqlmodel import Session

from core import audit
from core.clock import shown
from core.crud.cells import safe_cell
from core.db import utcnow
from core.i18n import t
from core.pdf_kit import PAGE_W, SHADE, build, para, ruled
from core.rbac import Actor
from core.training.archive import Archive, CourseLine, PersonCard, archive_of
from models.enums import Action, Industry, Module
from models.training import EducationLevel, TrainingResult

LEVELS = (EducationLevel.PLANT, EducationLevel.WORKSHOP, EducationLevel.TEAM)
#: Pre-job hours (第十三条): the high-risk industries ask three times as many.
PRE_JOB_HOURS, HIGH_RISK_HOURS = 24.0, 72.0
HIGH_RISK = {Industry.CHEMICAL, Industry.METALLURGY}

Table = list[list[Any]]


def required_hours(person: PersonCard) -> float:
    return HIGH_RISK_HOURS if person.industry in HIGH_RISK else PRE_JOB_HOURS


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


class _Labels:
    """The documents' words in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: Any) -> str:
        return t(f"training_archive.{key}", self.lang, **params)

    def enum(self, name: str, value: Any) -> str:
        return t(f"enum.{name}.{value}", self.lang) if value else ""

    def level(self, level: Any) -> str:
        return self(f"level.{level}") if level else self("level.none")

    def yes_no(self, value: bool | None) -> str:
        return "" if value is None else t("common.yes" if value else "common.no", self.lang)


def _may_export(actor: Actor, person_id: int) -> None:
    """The export permission, or one's own archive (an employee keeps their own card)."""
    if actor.person_id == person_id or actor.can(Module.TRAINING, Action.EXPORT):
        return
    actor.require(Module.TRAINING, Action.EXPORT)


def _exported(session: Session, actor: Actor, archive: Archive, document: str, fmt: str) -> None:
    audit.record(
        session,
        actor,
        "export",
        table_name="person",
        row_id=archive.person.id,
        enterprise_id=archive.person.enterprise_id,
        detail={"format": fmt, "document": document},
    )


# -- what both formats show ------------------------------------------------------------------


def _header(tr: _Labels, person: PersonCard, attended: float | None = None) -> Table:
    """Pairs of (label, value), two pairs a row."""
    pairs = [
        (tr("card.name"), person.name),
        (tr("card.gender"), tr.enum("Gender", person.gender)),
        (tr("card.employee_no"), person.employee_no or ""),
        (tr("card.department"), person.department),
        (tr("card.post"), person.post),
        (tr("card.hired_on"), _day(person.hired_on)),
        (tr("card.enterprise"), person.enterprise),
        (tr("card.id_number"), ""),  # written by hand from the ID card: never stored here
    ]
    if attended is not None:
        pairs += [
            (tr("card.required_hours"), _num(required_hours(person))),
            (tr("card.actual_hours"), _num(attended)),
        ]
    return [[a, b, c, d] for (a, b), (c, d) in zip(pairs[::2], pairs[1::2], strict=True)]


def _level_lines(archive: Archive, level: EducationLevel) -> list[CourseLine]:
    return [c for c in archive.courses if c.level == level]


def _level_rows(tr: _Labels, lines: list[CourseLine]) -> Table:
    head = [tr(f"card.{k}") for k in ("date", "hours", "content", "trainer", "score")]
    rows = [
        [
            _day(c.trained_on),
            _num(c.hours),
            c.course + (f"：{c.description}" if c.description else ""),
            c.trainer or "",
            " ".join(x for x in (_num(c.score), tr.enum("TrainingResult", c.result)) if x),
        ]
        for c in lines
    ]
    total = sum(c.hours for c in lines if c.result != TrainingResult.ABSENT)
    return [head, *rows, [tr("card.level_total"), _num(total), "", "", ""]]


def _signatures(tr: _Labels) -> list[str]:
    return [f"{tr(f'card.sign_{k}')}：" for k in ("learner", "educator", "date")]


def _card_hours(archive: Archive) -> float:
    return sum(archive.hours_by_level.get(str(level), 0.0) for level in LEVELS)


def _basis(tr: _Labels) -> str:
    return tr("card.basis", pre_job=_num(PRE_JOB_HOURS), high_risk=_num(HIGH_RISK_HOURS))


def _file_sections(tr: _Labels, a: Archive) -> list[tuple[str, Table]]:
    """The personal file's sections: (heading, rows with a header row). The archive page
    shows the same (``file_sections``)."""

    def head(*keys: str) -> list[str]:
        return [tr(f"file.{k}") for k in keys]

    courses = [head("course", "level", "date", "hours", "result", "score", "trainer")] + [
        [
            c.course,
            tr.level(c.level),
            _day(c.trained_on),
            _num(c.hours),
            tr.enum("TrainingResult", c.result),
            _num(c.score),
            c.trainer or "",
        ]
        for c in a.courses
    ]
    assignments = [head("course", "state", "assigned_on", "due_on", "completed_on")] + [
        [
            x.course,
            tr(f"assignment.{x.state}") + (f" ({tr('file.overdue')})" if x.overdue else ""),
            _day(x.assigned_on),
            _day(x.due_on),
            _day(x.completed_on),
        ]
        for x in a.assignments
    ]
    exams = [head("paper", "exam_no", "attempt", "started_at", "score", "passed", "offline")] + [
        [
            e.paper,
            e.exam_no or tr("file.exam_open"),
            e.attempt,
            shown(e.started_at),
            _num(e.score),
            tr.yes_no(e.passed),
            tr.yes_no(e.offline),
        ]
        for e in a.exams
    ]
    study = [head("course", "materials", "completed", "study_hours")] + [
        [s.course, s.materials, s.completed, _num(s.hours)] for s in a.study
    ]
    certs = [head("number", "kind", "course", "issued_on", "expires_on", "valid")] + [
        [
            c.number,
            tr.enum("TrainingCertificateKind", c.kind),
            c.course,
            _day(c.issued_on),
            _day(c.expires_on),
            tr.yes_no(c.valid),
        ]
        for c in a.certificates
    ]
    totals = [head("total_of", "hours")]
    totals += [[tr("file.year", year=y), _num(h)] for y, h in a.hours_by_year.items()]
    totals += [[tr.level(lv or None), _num(h)] for lv, h in a.hours_by_level.items()]
    totals += [[tr("file.total_hours"), _num(a.total_hours)]]
    return [
        (tr("file.courses"), courses),
        (tr("file.assignments"), assignments),
        (tr("file.exams"), exams),
        (tr("file.study"), study),
        (tr("file.certificates"), certs),
        (tr("file.totals"), totals),
    ]


def file_sections(archive: Archive, lang: str) -> list[tuple[str, Table]]:
    """The personal file's sections in ``lang``, as the page lists them."""
    return _file_sections(_Labels(lang), archive)


# -- PDF -------------------------------------------------------------------------------------


def _pairs_table(rows: Table) -> Any:
    table = ruled(rows, [26 * mm, 64 * mm, 26 * mm, PAGE_W - 116 * mm], header=False)
    table.setStyle(
        TableStyle([("BACKGROUND", (0, 0), (0, -1), SHADE), ("BACKGROUND", (2, 0), (2, -1), SHADE)])
    )
    return table


def _sign_table(cells: list[str]) -> Any:
    width = PAGE_W / len(cells)
    table = ruled([cells], [width] * len(cells), header=False)
    table.setStyle(
        TableStyle([("TOPPADDING", (0, 0), (-1, -1), 10), ("BOTTOMPADDING", (0, 0), (-1, -1), 10)])
    )
    return table


def _pdf(tr: _Labels, actor: Actor, title: str, story: list[Any]) -> bytes:
    footer = tr("footer", by=actor.username, time=shown(utcnow()))
    return build(story, title, footer)


def _card_story(tr: _Labels, a: Archive) -> list[Any]:
    out: list[Any] = [para(tr("card.title"), "title"), para(a.person.enterprise, "sub")]
    out += [Spacer(1, 4 * mm), _pairs_table(_header(tr, a.person, _card_hours(a)))]
    out += [para(_basis(tr), "small")]
    widths = [24 * mm, 14 * mm, PAGE_W - 104 * mm, 30 * mm, 36 * mm]
    for level in LEVELS:
        out += [para(tr(f"card.section.{level}"), "head")]
        out += [ruled(_level_rows(tr, _level_lines(a, level)), widths)]
        out += [_sign_table(_signatures(tr))]
    out += [para(tr("card.department_opinion"), "head")]
    out += [
        _sign_table(
            [
                f"{tr('card.opinion')}：\n\n\n",
                f"{tr('card.sign_department')}：",
                f"{tr('card.sign_date')}：",
            ]
        )
    ]
    return out


def _card_pdf(tr: _Labels, archive: Archive, actor: Actor) -> bytes:
    title = f"{tr('card.title')} {archive.person.name}"
    return _pdf(tr, actor, title, _card_story(tr, archive))


def _file_pdf(tr: _Labels, archive: Archive, actor: Actor) -> bytes:
    story: list[Any] = [para(tr("file.title"), "title"), para(archive.person.enterprise, "sub")]
    story += [Spacer(1, 4 * mm), _pairs_table(_header(tr, archive.person))]
    for heading, rows in _file_sections(tr, archive):
        story += [para(heading, "head")]
        if len(rows) > 1:
            unit = PAGE_W / (len(rows[0]) + 1)  # the first column (a name) twice as wide
            story += [ruled(rows, [2 * unit] + [unit] * (len(rows[0]) - 1), size=8)]
        else:
            story += [para(tr("file.none"), "small")]
    return _pdf(tr, actor, f"{tr('file.title')} {archive.person.name}", story)


# -- Excel -----------------------------------------------------------------------------------


def _workbook(sheets: list[tuple[str, list[Table]]]) -> bytes:
    """Sheets of blocks (a blank row between blocks), every cell spreadsheet-safe."""
    wb = Workbook()
    for i, (title, blocks) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title[:31]
        for block in blocks:
            for row in block:
                ws.append([safe_cell(v) for v in row])
            ws.append([])
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["C"].width = 36
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _card_blocks(tr: _Labels, a: Archive) -> list[Table]:
    blocks: list[Table] = [[[tr("card.title"), a.person.enterprise]]]
    blocks += [_header(tr, a.person, _card_hours(a)), [[_basis(tr)]]]
    for level in LEVELS:
        rows = _level_rows(tr, _level_lines(a, level))
        blocks.append([[tr(f"card.section.{level}")], *rows, _signatures(tr)])
    blocks.append(
        [
            [tr("card.department_opinion")],
            [f"{tr('card.sign_department')}：", "", f"{tr('card.sign_date')}："],
        ]
    )
    return blocks


def _card_xlsx(tr: _Labels, archive: Archive, _actor: Actor) -> bytes:
    return _workbook([(tr("card.sheet"), _card_blocks(tr, archive))])


def _file_xlsx(tr: _Labels, archive: Archive, _actor: Actor) -> bytes:
    person = [(tr("file.sheet_person"), [_header(tr, archive.person)])]
    return _workbook(person + [(h, [rows]) for h, rows in _file_sections(tr, archive)])


# -- the exports -----------------------------------------------------------------------------

Render = Callable[[_Labels, Archive, Actor], bytes]
#: An export as the page calls it: (session, actor, person id, today, language) → the file.
Document = Callable[[Session, Actor, int, date, str], bytes]


def _export(document: str, fmt: str, render: Render) -> Document:
    """An export of the archive of ``person_id``: scope-checked, permitted, audited."""

    def export(session: Session, actor: Actor, person_id: int, today: date, lang: str) -> bytes:
        archive = archive_of(session, actor, person_id, today)
        _may_export(actor, person_id)
        data = render(_Labels(lang), archive, actor)
        _exported(session, actor, archive, document, fmt)
        return data

    export.__doc__ = f"The {document.replace('_', ' ')} of a person as {fmt.upper()}."
    return export


card_pdf = _export("education_card", "pdf", _card_pdf)
card_xlsx = _export("education_card", "xlsx", _card_xlsx)
file_pdf = _export("training_file", "pdf", _file_pdf)
file_xlsx = _export("training_file", "xlsx", _file_xlsx)
