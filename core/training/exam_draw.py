"""Drawing one person's paper: which questions, in which order, with which option order.

A rule-set paper draws per rule (category × kind × count) from the bank, questions this person
has not met in an earlier attempt first, so a retake is not the same paper learnt by heart. A
fixed paper (``question_ids``) shares its total score over its questions. Questions and options
are shuffled with a random source of the attempt's own, so neighbours in an exam room get
different papers; the draw is stored (``attempt_item``), which is what keeps a reload stable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.i18n import Translatable
from models.training_exam import (
    AttemptItem,
    ExamAttempt,
    ExamPaper,
    ExamPaperRule,
    Question,
    QuestionKind,
)

SHUFFLED_OPTION_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class PaperUnfit(Translatable):
    """The bank cannot fill the paper as declared: the paper's editor must fix it."""


@dataclass(frozen=True)
class Drawn:
    """One place of a drawn paper."""

    question_id: int
    points: float
    option_order: list[int]


@dataclass(frozen=True)
class BankEntry:
    id: int
    kind: str
    category: str | None
    tags: tuple[str, ...]
    options: int

    def fits(self, rule: ExamPaperRule) -> bool:
        """In the rule's kind and category; a category matches the question's category or
        any of its tags, so the shipped bank (tagged, without categories) serves rules too."""
        if self.kind != rule.kind:
            return False
        return rule.category in (None, "") or rule.category in (self.category, *self.tags)


def seen_questions(session: Session, person_id: int) -> set[int]:
    """Questions this person was given in any earlier attempt, whatever the paper."""
    stmt = (
        select(AttemptItem.question_id)
        .join(ExamAttempt, col(ExamAttempt.id) == AttemptItem.attempt_id)
        .where(ExamAttempt.person_id == person_id)
    )
    return set(session.exec(stmt).all())


def _bank(session: Session) -> list[BankEntry]:
    """The live bank, only the columns drawing needs (a whole workshop starts at 8:00)."""
    stmt = (
        select(Question.id, Question.kind, Question.category, Question.tags, Question.options)
        .where(col(Question.deleted_at).is_(None))
        .order_by(col(Question.id))
    )
    return [
        BankEntry(qid, str(kind), category, tuple(tags or ()), len(options or ()))
        for qid, kind, category, tags, options in session.exec(stmt).all()
    ]


def _pick(candidates: list[BankEntry], count: int, seen: set[int], rng: random.Random) -> list:
    """``count`` of the candidates, unseen ones first, each group in random order."""
    unseen = [c for c in candidates if c.id not in seen]
    again = [c for c in candidates if c.id in seen]
    rng.shuffle(unseen)
    rng.shuffle(again)
    return (unseen + again)[:count]


def _option_order(entry: BankEntry, shuffle: bool, rng: random.Random) -> list[int]:
    order = list(range(entry.options)) if entry.kind in SHUFFLED_OPTION_KINDS else []
    if shuffle:
        rng.shuffle(order)
    return order


def rules_of(session: Session, paper_id: int) -> list[ExamPaperRule]:
    stmt = (
        select(ExamPaperRule)
        .where(ExamPaperRule.paper_id == paper_id, col(ExamPaperRule.deleted_at).is_(None))
        .order_by(col(ExamPaperRule.position), col(ExamPaperRule.id))
    )
    return list(session.exec(stmt).all())


def _blocks_by_rule(
    rules: list[ExamPaperRule], bank: list[BankEntry], seen: set[int], rng: random.Random
) -> list[list[tuple[BankEntry, float]]]:
    """One block per rule, in the rule's order; never the same question twice in a paper."""
    taken: set[int] = set()
    blocks = []
    for rule in rules:
        candidates = [e for e in bank if e.id not in taken and e.fits(rule)]
        picked = _pick(candidates, rule.count, seen, rng)
        if len(picked) < rule.count:
            raise PaperUnfit(
                "error.exam.bank_too_small",
                category=rule.category or "-",
                kind=f"enum.QuestionKind.{rule.kind}",
                count=rule.count,
                found=len(picked),
            )
        taken |= {e.id for e in picked}
        blocks.append([(e, rule.points_each) for e in picked])
    return blocks


def _fixed_block(paper: ExamPaper, bank: list[BankEntry]) -> list[tuple[BankEntry, float]]:
    """A fixed paper's questions in their listed order, sharing the total score equally
    (deleted questions drop out)."""
    by_id = {e.id: e for e in bank}
    entries = [by_id[q] for q in dict.fromkeys(paper.question_ids or []) if q in by_id]
    points = round(paper.total_score / len(entries), 2) if entries else 0.0
    return [(e, points) for e in entries]


def draw(session: Session, paper: ExamPaper, person_id: int, rng: random.Random) -> list[Drawn]:
    """The paper this person gets now: rule blocks in order (questions shuffled within a
    block, so kinds stay in their sections), or the fixed list (shuffled as a whole)."""
    bank = _bank(session)
    rules = rules_of(session, paper.id or -1)
    if rules:
        blocks = _blocks_by_rule(rules, bank, seen_questions(session, person_id), rng)
    else:
        blocks = [_fixed_block(paper, bank)]
    drawn = []
    for block in blocks:
        if paper.shuffle_questions:
            rng.shuffle(block)
        drawn += [
            Drawn(e.id, points, _option_order(e, paper.shuffle_options, rng)) for e, points in block
        ]
    if not drawn:
        raise PaperUnfit("error.exam.empty_paper")
    return drawn
