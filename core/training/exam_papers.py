"""Which papers an examinee may sit, and how many attempts they have used: the list the
online-exam page opens with. Starting one is ``exam_attempts.start_attempt``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from core.rbac import Actor
from models.org import Person
from models.training_exam import AttemptState, ExamAttempt, ExamPaper


@dataclass(frozen=True)
class OpenPaper:
    """A paper as the examinee's list shows it; ``open_attempt`` is the sitting in progress
    (resumed, not restarted, by the start button)."""

    paper_id: int
    name: str
    duration_minutes: int
    total_score: float
    pass_score: float
    attempts_allowed: int
    attempts_used: int
    open_attempt: int | None

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempts_allowed - self.attempts_used)

    @property
    def can_start(self) -> bool:
        return self.open_attempt is not None or self.attempts_left > 0


def papers_open_to(session: Session, actor: Actor) -> list[OpenPaper]:
    """The papers of the actor's enterprise (and those of no enterprise), by name, with the
    attempts the actor has used; empty for an account without a person."""
    person = session.get(Person, actor.person_id or -1) if not actor.screen_only else None
    if person is None:
        return []
    papers = session.exec(
        select(ExamPaper)
        .where(
            col(ExamPaper.deleted_at).is_(None),
            or_(
                col(ExamPaper.enterprise_id).is_(None),
                ExamPaper.enterprise_id == person.enterprise_id,
            ),
        )
        .order_by(col(ExamPaper.name))
    ).all()
    rows = session.exec(
        select(ExamAttempt.paper_id, ExamAttempt.state, func.count(), func.max(ExamAttempt.id))
        .where(ExamAttempt.person_id == person.id, col(ExamAttempt.deleted_at).is_(None))
        .group_by(col(ExamAttempt.paper_id), col(ExamAttempt.state))
    ).all()
    used: dict[int, int] = {}
    current: dict[int, int] = {}
    for paper_id, state, count, last in rows:
        used[paper_id] = used.get(paper_id, 0) + count
        if state == AttemptState.IN_PROGRESS:
            current[paper_id] = last
    return [
        OpenPaper(
            paper_id=p.id or -1,
            name=p.name,
            duration_minutes=p.duration_minutes,
            total_score=p.total_score,
            pass_score=p.pass_score,
            attempts_allowed=p.attempts_allowed,
            attempts_used=used.get(p.id or -1, 0),
            open_attempt=current.get(p.id or -1),
        )
        for p in papers
    ]


def names(session: Session, person_ids: set[int], paper_ids: set[int]) -> dict[str, dict[int, str]]:
    """Person and paper names for the grading queue's headings."""
    people = session.exec(select(Person.id, Person.name).where(col(Person.id).in_(person_ids)))
    papers = session.exec(
        select(ExamPaper.id, ExamPaper.name).where(col(ExamPaper.id).in_(paper_ids))
    )
    return {"person": dict(people.all()), "paper": dict(papers.all())}
