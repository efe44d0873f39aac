"""Sealed records: what the app closes, approves or grants is hashed into the keyed chain, and
``verify_records`` names every such record changed behind the app's back — while changes the
app itself makes afterwards (an edit, a reopened record, a new grant) are not flagged."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import insert, text
from sqlmodel import Session, select

from core import attachments, audit
from core.auth import create_user
from core.clock import site_today
from core.config import Settings
from core.crud import service
from core.crud.registry import get_spec
from core.hazard.flow import act, report_hazard
from core.rbac import set_grant
from core.training.offline_scores import OfflineScore, record_scores
from models.enums import Role
from models.hazard import Hazard
from models.system import AuditEntry
from models.training_exam import ExamPaper, ExamRecord
from tests.factories import Org, Users

CHANGED = "changed outside the app after it was sealed"


def _photo(green: int = 120) -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (40, green, 40)).save(buf, "PNG")
    return ("after.png", buf.getvalue())


def _sql(session: Session, sql: str, **params) -> None:
    session.execute(text(sql), params)
    session.expire_all()


def _named(session: Session) -> set[tuple[str, int, str]]:
    return {(f.table, f.row_id, f.reason) for f in audit.verify_records(session)}


@pytest.fixture
def closed(session: Session, settings: Settings, org: Org, users: Users) -> Hazard:
    """A hazard taken through the whole workflow, with a photo on its rectification."""
    h = report_hazard(
        session,
        users.inspector_a,
        {"title": "配电箱门未关闭", "enterprise_id": org.ent1, "department_id": org.dept_a},
    )
    act(session, users.safety_head, h.id, "confirm", payload={"owner_id": org.person_a})
    act(session, users.employee_a, h.id, "rectify", payload={"measures": "上锁"}, files=[_photo()])
    act(session, users.safety_head, h.id, "verify_pass")
    session.refresh(h)
    return h


def test_closing_a_hazard_seals_it_with_its_photo(session: Session, closed: Hazard) -> None:
    seal = session.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "seal", AuditEntry.table_name == "hazard")
        .where(AuditEntry.row_id == closed.id)
        .order_by(AuditEntry.seq.desc())
    ).first()

    assert seal is not None and seal.actor_name == "safety_head"
    assert seal.detail["files"] == 1 and seal.detail["label"] == closed.number
    assert _named(session) == set()
    assert audit.verify(session, anchors=[]).ok


def test_a_closed_hazard_edited_in_sql_is_named(session: Session, closed: Hazard) -> None:
    _sql(session, "UPDATE hazard SET title = '已整改' WHERE id = :i", i=closed.id)

    findings = audit.verify_records(session)

    assert [(f.table, f.row_id, f.label, f.reason) for f in findings] == [
        ("hazard", closed.id, closed.number, CHANGED)
    ]


def test_a_sealed_photo_swapped_in_sql_is_named(session: Session, closed: Hazard) -> None:
    _sql(
        session,
        "UPDATE attachment SET sha256 = :s WHERE table_name = 'hazard' AND row_id = :i",
        s="f" * 64,
        i=closed.id,
    )

    assert _named(session) == {("hazard", closed.id, CHANGED)}


def test_a_hazard_closed_in_sql_has_no_seal(
    session: Session, org: Org, users: Users, closed: Hazard
) -> None:
    h = report_hazard(session, users.inspector_a, {"title": "地面油污", "enterprise_id": org.ent1})
    _sql(session, "UPDATE hazard SET state = 'CLOSED' WHERE id = :i", i=h.id)

    assert _named(session) == {("hazard", h.id, "has no seal: written outside the app")}


def test_app_changes_after_sealing_are_not_flagged(
    session: Session, settings: Settings, users: Users, closed: Hazard
) -> None:
    """A file the app adds to a closed hazard re-seals it instead of breaking its seal."""
    attachments.store(
        session,
        data=_photo(green=200)[1],
        filename="report.png",
        table_name="hazard",
        row_id=closed.id,
        enterprise_id=closed.enterprise_id,
        actor_id=users.admin.user_id,
        settings=settings,
    )

    assert _named(session) == set()


def test_a_role_and_scope_given_in_sql_are_named(session: Session, users: Users) -> None:
    _sql(
        session,
        """UPDATE "user" SET roles = '["admin"]', scope = 'ALL' WHERE id = :i""",
        i=users.employee_a.user_id,
    )

    assert [(f.table, f.row_id, f.label, f.reason) for f in audit.verify_records(session)] == [
        ("user", users.employee_a.user_id, "employee_a", CHANGED)
    ]


def test_a_grant_inserted_or_removed_in_sql_is_named(session: Session) -> None:
    _sql(
        session,
        "INSERT INTO role_permission (role, module, action) "
        "VALUES ('contractor', 'system', 'configure')",
    )
    forged = session.exec(
        text("SELECT id FROM role_permission WHERE role = 'contractor' AND module = 'system'")
    ).one()[0]
    gone = session.exec(text("SELECT min(id) FROM role_permission")).one()[0]
    _sql(session, "DELETE FROM role_permission WHERE id = :i", i=gone)

    found = {(f.row_id, f.label, f.reason) for f in audit.verify_records(session)}

    assert (forged, "contractor: system.configure", "has no seal: written outside the app") in found
    assert {(r, reason) for r, _, reason in found} == {
        (forged, "has no seal: written outside the app"),
        (gone, "deleted outside the app"),
    }


def test_account_and_grant_changes_through_the_app_are_not_flagged(
    session: Session, settings: Settings, users: Users
) -> None:
    create_user(
        session,
        users.admin,
        settings,
        username="new_guard",
        display_name="门卫",
        password="Welcome2026",
        roles=[Role.EMPLOYEE.value],
    )
    set_grant(session, users.admin, Role.EMPLOYEE.value, "hazard", "approve", True)
    set_grant(session, users.admin, Role.EMPLOYEE.value, "hazard", "create", False)
    service.update_row(
        session, get_spec("user"), users.admin, users.employee_a.user_id, {"scope": "department"}
    )
    session.flush()

    assert _named(session) == set()


def test_a_submitted_exam_regraded_in_sql_is_named(
    session: Session, org: Org, users: Users
) -> None:
    paper = ExamPaper(name="三级安全教育", enterprise_id=org.ent1)
    session.add(paper)
    session.flush()
    score = OfflineScore(org.person_a, paper.id, 42, site_today())  # imported from paper
    [exam] = record_scores(session, users.admin, [score])
    history = [
        e.action for e in service.history(session, get_spec("exam_record"), users.admin, exam.id)
    ]
    _sql(session, "UPDATE exam_record SET score = 95, passed = true WHERE id = :i", i=exam.id)

    assert history == ["seal", "create"]  # newest first: sealed once it was created
    found = [(f.table, f.label) for f in audit.verify_records(session)]
    assert found == [("exam_record", exam.exam_no)]


def test_a_record_created_by_bulk_sql_and_audited_is_sealed(session: Session, org: Org) -> None:
    """An import inserts rows with one statement and audits each: that audit seals them."""
    paper = ExamPaper(name="复训", enterprise_id=org.ent1)
    session.add(paper)
    session.flush()
    now = datetime.now(UTC)
    values = {"exam_no": "EX-2", "paper_id": paper.id, "person_id": org.person_a}
    values |= {"enterprise_id": org.ent1, "started_at": now, "submitted_at": now, "score": 88}
    exam_id = session.scalars(insert(ExamRecord).returning(ExamRecord.id), [values]).one()
    audit.record(session, None, "create", table_name="exam_record", row_id=exam_id)

    assert _named(session) == set()
    _sql(session, "UPDATE exam_record SET score = 100 WHERE id = :i", i=exam_id)
    assert _named(session) == {("exam_record", exam_id, CHANGED)}


def test_baseline_seals_what_a_bulk_load_left_unsealed(session: Session, closed: Hazard) -> None:
    _sql(session, "DELETE FROM audit_entry WHERE action = 'seal' AND table_name = 'hazard'")
    _sql(
        session,
        "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_entry), "
        "hash = (SELECT hash FROM audit_entry ORDER BY seq DESC LIMIT 1)",
    )
    assert ("hazard", closed.id, "has no seal: written outside the app") in _named(session)

    assert audit.seal_missing(session, None) >= 1
    assert _named(session) == set()
