"""A contractor worker's entry exam: passing a paper marked ``contractor_entry`` sets the
worker's training-passed date, score and exam record from the graded exam, never typed. The
entry pass (``core.contractor.rules.entry_problems``) reads that date."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core import audit
from core.clock import local
from core.rbac import Actor
from core.training.outcomes import ExamOutcome, on_exam_graded
from models.contractor import ContractorWorker
from models.training_exam import ExamPaper


@on_exam_graded
def record_entry_pass(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """Every worker row of the examinee (one per contractor company they worked for) gets
    the pass, each change audited; a later retake that passes again moves them on."""
    if not outcome.passed:
        return
    paper = session.get(ExamPaper, outcome.paper_id)
    if paper is None or not paper.contractor_entry:
        return
    workers = session.exec(
        select(ContractorWorker).where(
            ContractorWorker.person_id == outcome.person_id,
            col(ContractorWorker.deleted_at).is_(None),
        )
    ).all()
    passed_on = local(outcome.submitted_at).date()
    for worker in workers:
        before = audit.snapshot(worker)
        worker.training_passed_on = passed_on
        worker.exam_score = outcome.score
        worker.exam_record_id = outcome.exam_record_id
        audit.record_update(session, actor, "contractor_worker", worker, before)
