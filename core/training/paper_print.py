"""A paper printed for an offline exam (A4, CJK), and its answer key as a separate document.

A rule-set paper is drawn once for the print by the same ``exam_draw.draw`` the online exam
uses, with a random source seeded by the print's *variant* number and no person (nobody's
earlier questions are preferred); a fixed paper prints its questions. The variant is printed
on both sheets, so a key made with the same number belongs to that candidate sheet while the
bank is unchanged. The candidate sheet never carries the key or the explanation: the key is a
second document for those who may read the bank's answers (``Action.EDIT``, as the question
register's ``read_action``). Both are exports: they need the export grant and leave an audit
entry.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer, Table, TableStyle
from sqlmodel import Session, col, select

from core import audit
from core.clock import shown
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.db import utcnow
from core.i18n import t
from core.pdf_kit import LINE, PAGE_W, build, para, ruled
from core.rbac import Actor
from core.training.exam_draw import draw
from core.training.exam_grading import to_shown
from core.training.rules import LETTERS
from models.enums import Action, Module
from models.training import TrainingCourse
from models.training_exam import ExamPaper, Question, QuestionKind

#: Sections of the printed paper, in this order (a paper groups its questions by kind).
KIND_ORDER = (
    QuestionKind.SINGLE,
    QuestionKind.MULTIPLE,
    QuestionKind.TRUE_FALSE,
    QuestionKind.FILL_IN,
    QuestionKind.SHORT_ANSWER,
)
SECTION_NUMERALS = "一二三四五"  # one section per kind
ROMAN = ("I", "II", "III", "IV", "V")
ANSWER_BOX_MM = {QuestionKind.FILL_IN: 10, QuestionKind.SHORT_ANSWER: 40}


@dataclass(frozen=True)
class Printed:
    """One question as printed: its number, options in printed order, points and key."""

    number: int
    question: Question
    options: list[str]
    points: float
    key: str  # in the printed letters for choices


def printed_questions(session: Session, paper: ExamPaper, variant: int) -> list[Printed]:
    """The paper drawn once for printing, grouped by kind and numbered through."""
    drawn = draw(session, paper, -1, random.Random(variant))  # -1: no person, nothing seen
    wanted = [d.question_id for d in drawn]
    questions = {
        q.id: q for q in session.exec(select(Question).where(col(Question.id).in_(wanted)))
    }
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    ordered = sorted(drawn, key=lambda d: rank.get(questions[d.question_id].kind, len(rank)))
    out = []
    for number, d in enumerate(ordered, start=1):
        q = questions[d.question_id]
        choice = q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        options = [q.options[i] for i in d.option_order] if choice else []
        key = to_shown(q.answer, d.option_order) if choice else q.answer
        out.append(Printed(number, q, options, d.points, key))
    return out


class _Sheet:
    """Lays out the header and the sections, for the candidate or as the key."""

    def __init__(
        self, session: Session, paper: ExamPaper, variant: int, lang: str, *, key: bool
    ) -> None:
        self.s, self.paper, self.variant, self.lang, self.key = session, paper, variant, lang, key
        self.items = printed_questions(session, paper, variant)

    def tr(self, name: str, **params: Any) -> str:
        return t(f"offline.print.{name}", self.lang, **params)

    def title(self) -> str:
        return self.paper.name + (f" — {self.tr('key_title')}" if self.key else "")

    def story(self) -> list[Any]:
        out: list[Any] = [para(self.title(), "title"), para(self.facts(), "sub")]
        out += [Spacer(1, 3 * mm)]
        if not self.key:
            out += [self.blanks(), Spacer(1, 2 * mm), para(self.tr("instructions"), "small")]
        for n, kind in enumerate(
            k for k in KIND_ORDER if any(i.question.kind == k for i in self.items)
        ):
            out += self.section(n, kind)
        return out

    def facts(self) -> str:
        p = self.paper
        course = self.s.get(TrainingCourse, p.course_id) if p.course_id else None
        facts = self.tr(
            "facts",
            minutes=p.duration_minutes,
            total=f"{p.total_score:g}",
            pass_score=f"{p.pass_score:g}",
            variant=self.variant,
        )
        return f"{self.tr('course')}: {course.name}    {facts}" if course else facts

    def blanks(self) -> Table:
        labels = [self.tr(k) for k in ("name", "department", "date", "score")]
        w = PAGE_W / 8
        return ruled([[labels[0], "", labels[1], "", labels[2], "", labels[3], ""]],
                     [w * 0.8, w * 1.4, w * 0.8, w * 1.4, w * 0.8, w * 1.2, w * 0.8, w * 0.8],
                     header=False, size=10)  # fmt: skip

    def section(self, n: int, kind: str) -> list[Any]:
        items = [i for i in self.items if i.question.kind == kind]
        points = sum(i.points for i in items)
        head = self.tr(
            "section",
            numeral=(ROMAN if self.lang == "en" else SECTION_NUMERALS)[n],
            kind=t(f"enum.QuestionKind.{kind}", self.lang),
            count=len(items),
            points=f"{points:g}",
        )
        out: list[Any] = [para(head, "head")]
        for item in items:
            out += self.answer_line(item) if self.key else self.question(item)
        return out

    def question(self, item: Printed) -> list[Any]:
        q = item.question
        bracket = "（      ）" if q.kind not in ANSWER_BOX_MM else ""
        pts = self.tr("points", points=f"{item.points:g}")
        out: list[Any] = [para(f"{item.number}. {q.stem} {bracket}{pts}")]
        if item.options:
            lines = [f"{LETTERS[i]}. {text}" for i, text in enumerate(item.options)]
            out.append(para("    " + "    ".join(lines)))
        if q.kind == QuestionKind.TRUE_FALSE:
            out.append(para("    " + self.tr("true_false")))
        if q.kind in ANSWER_BOX_MM:
            out.append(_box(ANSWER_BOX_MM[q.kind]))
        out.append(Spacer(1, 2 * mm))
        return out

    def answer_line(self, item: Printed) -> list[Any]:
        q = item.question
        key = item.key
        if q.kind == QuestionKind.TRUE_FALSE:
            key = self.tr("true" if key.strip().upper().startswith("T") else "false")
        elif q.kind == QuestionKind.FILL_IN:
            key = " / ".join(part.strip() for part in key.split("|") if part.strip())
        out: list[Any] = [para(f"{item.number}. {q.stem}", "small")]
        out.append(para(f"    {self.tr('answer')}: {key}"))
        if q.analysis:
            out.append(para(f"    {self.tr('analysis')}: {q.analysis}", "small"))
        return [*out, Spacer(1, 1.5 * mm)]


def _box(height_mm: float) -> Table:
    """An empty ruled box to write the answer in."""
    box = Table([[""]], colWidths=[PAGE_W - 8 * mm], rowHeights=[height_mm * mm], hAlign="RIGHT")
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, LINE)]))
    return box


def paper_pdf(
    session: Session,
    actor: Actor,
    paper_id: int,
    variant: int,
    *,
    key: bool = False,
    lang: str | None = None,
) -> bytes:
    """The candidate sheet of ``variant`` (or, with ``key``, its answer key, for editors of
    the bank only). A paper outside the actor's scope is refused as absent (``NotFound``);
    a bank too small for the rules as in the online exam (``PaperUnfit``)."""
    actor.require(Module.TRAINING, Action.EXPORT)
    if key:
        actor.require(Module.TRAINING, Action.EDIT)
    lang = lang or actor.language
    paper = get_row(session, get_spec("exam_paper"), actor, paper_id)
    sheet = _Sheet(session, paper, variant, lang, key=key)
    footer = t("offline.print.footer", lang, by=actor.username, time=shown(utcnow()))
    data = build(sheet.story(), sheet.title(), footer)
    audit.record(
        session,
        actor,
        "export",
        table_name="exam_paper",
        row_id=paper.id,
        enterprise_id=paper.enterprise_id,
        detail={
            "format": "pdf",
            "document": "exam_key" if key else "exam_paper",
            "variant": variant,
        },
    )
    return data
