"""Records about a person (health exams, PPE issues, certificates, emergency team duties): the
person reads their own whoever recorded them, never a colleague's; the exams and certificates
falling due remind the person and the managers responsible, in frozen time.

Cast (tests/factories.py plus two accounts made here): employee_a is 张伟 (person_a) of
机修车间 (A); 李娜 (person_a2) is a colleague with no account; safety_head records; manager
is enterprise 1's safety manager and dept_head_a heads A (the reminders' managers).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import Session, func, select

from core.clock import add_months, site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import NotFound
from core.health.reminders import HEALTH_EXAM
from core.inbox import remind_due, todo_for
from core.org.reminders import CERTIFICATE_EXPIRY, EXPIRY_WARNING_DAYS
from core.rbac import Actor, PermissionDenied
from models.health import HealthExam
from models.org import Person
from tests import factories
from tests.factories import Org, Users
from tests.modules.conftest import TODAY
from tests.modules.people_world import ids, managers, notices


@pytest.fixture(scope="module")
def extra(engine, module_settings, world) -> dict[str, Actor]:
    return managers(engine, module_settings, world[0], "pr")


def factor(session: Session, months: int = 12) -> Any:
    n = factories.serial()
    return factories.make(
        session, "occupational_factor", code=f"N{n}", name=f"噪声{n}", exam_interval_months=months
    )


def exam(session: Session, users: Users, person: int, factor_id: int, day: date) -> HealthExam:
    values = {"person_id": person, "factor_id": factor_id, "exam_date": day, "kind": "periodic"}
    return service.create_row(session, get_spec("health_exam"), users.safety_head, values)


# --- about me: my rows, not my colleague's ----------------------------------------------------


def test_a_person_reads_their_own_records_made_by_a_manager_not_a_colleagues(
    session: Session, org: Org, users: Users
) -> None:
    boss = users.safety_head
    noise = factor(session)
    helmet = factories.make(session, "ppe_item", code=f"H{factories.serial()}", name="安全帽")
    team = factories.make(
        session, "emergency_team", boss, name="抢险救援队", enterprise_id=org.ent1
    )
    mine: dict[str, int] = {}
    theirs: dict[str, int] = {}
    for person, out in ((org.person_a, mine), (org.person_a2, theirs)):
        out["health_exam"] = exam(session, users, person, noise.id, site_today()).id
        issue = {"person_id": person, "ppe_item_id": helmet.id, "issue_date": site_today()}
        out["ppe_issue"] = factories.make(session, "ppe_issue", boss, **issue).id
        out["certificate"] = factories.certificate(session, person).id
        duty = {"team_id": team.id, "person_id": person, "duty": "组员"}
        out["emergency_team_member"] = factories.make(
            session, "emergency_team_member", boss, **duty
        ).id

    for table in mine:
        seen = ids(session, table, users.employee_a)
        assert mine[table] in seen, table
        assert theirs[table] not in seen, table
        with pytest.raises(NotFound):
            service.get_row(session, get_spec(table), users.employee_a, theirs[table])
    assert org.person_a in ids(session, "person", users.employee_a)
    assert org.person_a2 not in ids(session, "person", users.employee_a)
    with pytest.raises(PermissionDenied):  # reading one's exam is not changing it
        service.update_row(
            session, get_spec("health_exam"), users.employee_a, mine["health_exam"], {}
        )


# --- health exams fall due per hazard factor -------------------------------------------------


def test_an_exam_falls_due_on_its_factors_cycle_and_reminds_the_person_and_managers(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    noise = factor(session, months=12)
    first = exam(session, users, org.person_a, noise.id, date(2031, 2, 15))
    assert first.next_due == date(2032, 2, 15)
    everyone = {users.employee_a.user_id, extra["manager"].user_id, extra["dept_head_a"].user_id}

    with time_machine.travel(date(2032, 1, 20), tick=False):
        remind_due(session, HEALTH_EXAM, site_today())
        assert {uid for uid, _ in notices(session, "health_exam", first.id)} == everyone
        assert remind_due(session, HEALTH_EXAM, site_today()) == 0, "idempotent"
        todo = todo_for(session, users.employee_a, site_today())
        assert any(
            i.row_id == first.id and i.params["what"] == "remind.kind.health_exam" for i in todo
        )

    later = exam(session, users, org.person_a, noise.id, date(2032, 2, 10))
    with time_machine.travel(date(2032, 3, 1), tick=False):
        remind_due(session, HEALTH_EXAM, site_today())
    assert {key for _, key in notices(session, "health_exam", first.id)} == {"remind.due_soon"}
    assert later.next_due == date(2033, 2, 10) and not notices(session, "health_exam", later.id)


def test_the_demos_overdue_exams_are_all_reminded(demo_session, run_generator) -> None:
    """Every person's latest exam per factor past its due date is listed, and only those: at
    S, 168 exams have a past due date, but most were followed by the next exam (up to 20
    days late) and only the people whose last exam was skipped still owe one."""
    run_generator("health")
    exams = demo_session.exec(select(HealthExam)).all()
    latest: dict[tuple[int, int | None], HealthExam] = {}
    for e in exams:
        key = (e.person_id, e.factor_id)
        if key not in latest or e.exam_date > latest[key].exam_date:
            latest[key] = e
    overdue = {e.id for e in latest.values() if e.next_due and e.next_due < TODAY}
    listed = demo_session.exec(
        select(HealthExam.id).where(HEALTH_EXAM.due_clause(TODAY - timedelta(days=1)))
    ).all()
    assert set(listed) == overdue
    assert overdue, "the demo skips some people's last exam"
    past = select(func.count()).select_from(HealthExam).where(HealthExam.next_due < TODAY)
    assert demo_session.exec(past).one() > len(overdue), "exams done since are not reminded"


# --- certificates: one declaration, the to-do and the reminder -------------------------------


def test_a_certificate_reminds_its_holder_and_managers_then_escalates(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    expires = date(2033, 9, 30)
    cert = factories.certificate(session, org.person_a, expires_on=expires)
    holder, manager, head = (
        users.employee_a.user_id,
        extra["manager"].user_id,
        extra["dept_head_a"].user_id,
    )
    ahead = expires - timedelta(days=EXPIRY_WARNING_DAYS)

    with time_machine.travel(ahead - timedelta(days=1), tick=False):
        remind_due(session, CERTIFICATE_EXPIRY, site_today())
        assert notices(session, "certificate", cert.id) == []
    with time_machine.travel(ahead, tick=False):
        remind_due(session, CERTIFICATE_EXPIRY, site_today())
        assert notices(session, "certificate", cert.id) == sorted(
            (uid, "remind.due_soon") for uid in (holder, manager, head)
        )
        assert remind_due(session, CERTIFICATE_EXPIRY, site_today()) == 0, "idempotent"
        lines = todo_for(session, users.employee_a, site_today())
        holder_name = session.get(Person, cert.person_id).name
        titles = [i.params["title"] for i in lines if i.row_id == cert.id]
        assert titles == [f"{holder_name} · {cert.number}"]  # whose, then which
    with time_machine.travel(expires + timedelta(days=3), tick=False):
        remind_due(session, CERTIFICATE_EXPIRY, site_today())
        assert (holder, "remind.overdue") in notices(session, "certificate", cert.id)
        assert (manager, "remind.overdue") not in notices(session, "certificate", cert.id)
    with time_machine.travel(expires + timedelta(days=8), tick=False):
        remind_due(session, CERTIFICATE_EXPIRY, site_today())
        escalated = {
            u for u, k in notices(session, "certificate", cert.id) if k == "remind.escalated"
        }
        assert escalated == {holder, manager, head}
        overdue = todo_for(session, extra["manager"], site_today())
        assert any(i.row_id == cert.id and i.severity == "error" for i in overdue)


def test_a_renewed_certificate_is_no_longer_due(session: Session, org: Org, users: Users) -> None:
    old = factories.certificate(
        session, org.person_a, work_type="高压电工作业", expires_on=date(2034, 3, 1)
    )
    factories.certificate(
        session, org.person_a, work_type="高压电工作业", expires_on=add_months(date(2034, 3, 1), 72)
    )
    with time_machine.travel(date(2034, 2, 20), tick=False):
        remind_due(session, CERTIFICATE_EXPIRY, site_today())
    assert notices(session, "certificate", old.id) == []
