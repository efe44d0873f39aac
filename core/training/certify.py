"""A passed exam issues a training certificate when its paper says so (``certificate_months``);
its expiry feeds the existing reminders (``core.training.reminders``), where a newer
certificate of the same kind and course takes the old one's place."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.clock import add_months, local
from core.numbering import next_in
from core.rbac import Actor
from core.training.outcomes import ExamOutcome, on_exam_graded
from core.training.rules import before_certificate
from models.training import TrainingCertificate, TrainingCertificateKind, TrainingCourse
from models.training_exam import ExamPaper

#: 培训 (training) + the site-local issue day, as exam numbers read (``KS…``).
CERT_NO_PREFIX = "PX"


def certificate_number(session: Session, issued_on: date) -> str:
    """``PX20261124`` + a five-digit sequence of that day, from the shared allocator."""
    prefix = f"{CERT_NO_PREFIX}{issued_on:%Y%m%d}"
    return f"{prefix}{next_in(session, TrainingCertificate.number, prefix):05d}"


def _kind(session: Session, course_id: int | None) -> TrainingCertificateKind:
    """A three-level education course (a course with a level) earns the 三级安全教育合格;
    every other course the plant's own training certificate."""
    course = session.get(TrainingCourse, course_id) if course_id else None
    if course is not None and course.level is not None:
        return TrainingCertificateKind.THREE_LEVEL
    return TrainingCertificateKind.INTERNAL


def _already_issued(session: Session, exam_record_id: int) -> bool:
    stmt = select(TrainingCertificate.id).where(
        TrainingCertificate.exam_record_id == exam_record_id,
        col(TrainingCertificate.deleted_at).is_(None),
    )
    return session.exec(stmt).first() is not None


@on_exam_graded
def issue_certificate(session: Session, actor: Actor, outcome: ExamOutcome) -> None:
    """One certificate per passed exam record of a paper with a validity: issued on the day
    the paper was handed in (site-local), valid for the paper's months."""
    if not outcome.passed:
        return
    paper = session.get(ExamPaper, outcome.paper_id)
    if paper is None or not paper.certificate_months:
        return
    if _already_issued(session, outcome.exam_record_id):
        return
    issued = local(outcome.submitted_at).date()
    values = {
        "person_id": outcome.person_id,
        "kind": _kind(session, paper.course_id),
        "course_id": paper.course_id,
        "number": certificate_number(session, issued),
        "issued_on": issued,
        "expires_on": add_months(issued, paper.certificate_months),
        "exam_record_id": outcome.exam_record_id,
    }
    before_certificate(session, values, actor)  # scope from the holder, the review date
    cert = TrainingCertificate(**values, created_by=actor.user_id)
    session.add(cert)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        table_name="training_certificate",
        row_id=cert.id,
        enterprise_id=cert.enterprise_id,
        after=audit.snapshot(cert),
    )
