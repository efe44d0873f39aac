"""Contractor due dates and reach: a worker's certificate reminded to the worker and the
manager 30 days ahead, again once passed and escalated after the grace period (time frozen);
qualifications renewed or of a blacklisted contractor remind nobody; a contractor worker reads
their own record only; the demo's histories are walks of the declared workflows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import Session, select

from core.clock import site_today
from core.contractor.flow import ADMISSION_FLOW, VIOLATION_FLOW
from core.contractor.reminders import CONTRACTOR_QUALIFICATION, WORKER_CERTIFICATE
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound
from core.i18n import t_keys
from core.inbox import remind_due
from core.rbac import PermissionDenied
from core.workflow import Workflow
from models.contractor import (
    Contractor,
    ContractorQualification,
    ContractorViolation,
    WorkerStatus,
)
from models.notification import Notification
from models.workflow import WorkflowEvent
from tests.factories import Org, Users
from tests.modules.contractor_world import Cast, build_cast, reviewing, step, worker

WORKER = get_spec("contractor_worker")


@pytest.fixture(scope="module")
def cast(engine, module_settings, world) -> Cast:
    return build_cast(engine, module_settings, world[0])


def events_of(session: Session, table: str) -> list[WorkflowEvent]:
    """Every event of ``table``, in the order they happened."""
    stmt = select(WorkflowEvent).where(WorkflowEvent.table_name == table)
    return list(session.exec(stmt.order_by(WorkflowEvent.ts, WorkflowEvent.id)).all())


def _notices(session: Session, row_id: int) -> set[tuple[int, str]]:
    rows = session.exec(
        select(Notification).where(
            Notification.table_name == "contractor_worker", Notification.row_id == row_id
        )
    ).all()
    return {(n.user_id, n.key) for n in rows}


def test_worker_certificate_reminds_holder_and_manager_then_escalates(
    session: Session, org: Org, users: Users, cast: Cast
) -> None:
    due = date(2026, 6, 30)
    holder, manager = cast.worker_user.user_id, cast.manager.user_id
    with time_machine.travel(date(2026, 5, 31), tick=False):
        w = worker(session, org, users, cast.worker_person, cert_expires_on=due)
        gone = worker(
            session,
            org,
            users,
            cast.colleague_person,
            cert_expires_on=due,
            status=WorkerStatus.LEFT,
        )
        assert remind_due(session, WORKER_CERTIFICATE, site_today()) == 2
        assert _notices(session, w.id) == {
            (holder, "remind.due_soon"),
            (manager, "remind.due_soon"),
        }
        assert remind_due(session, WORKER_CERTIFICATE, site_today()) == 0
    notice = session.exec(select(Notification).where(Notification.user_id == holder)).first()
    assert "相关方人员特种作业证到期" in t_keys(notice.key, "zh-CN", notice.params)
    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert remind_due(session, WORKER_CERTIFICATE, site_today()) == 1  # the holder only
    with time_machine.travel(due + timedelta(days=8), tick=False):
        assert remind_due(session, WORKER_CERTIFICATE, site_today()) == 2
        assert remind_due(session, WORKER_CERTIFICATE, site_today()) == 0
    assert {k for u, k in _notices(session, w.id) if u == manager} == {
        "remind.due_soon",
        "remind.escalated",
    }
    assert _notices(session, gone.id) == set()


def test_a_renewed_or_blacklisted_qualification_reminds_nobody(
    session: Session, org: Org, users: Users, cast: Cast
) -> None:
    today = site_today()
    renewed = reviewing(
        session, org, users, today + timedelta(days=10), today + timedelta(days=700)
    )
    lapsing = reviewing(session, org, users, today + timedelta(days=10))
    dropped = reviewing(session, org, users, today + timedelta(days=10))
    step(session, ADMISSION_FLOW, dropped, "blacklist", cast.manager, comment="伪造资质")
    assert remind_due(session, CONTRACTOR_QUALIFICATION, today) == 1
    told = session.exec(
        select(Notification.row_id).where(Notification.table_name == "contractor_qualification")
    ).all()
    owners = {
        q.contractor_id for q in session.exec(select(ContractorQualification)).all() if q.id in told
    }
    assert owners == {lapsing.id} and renewed.id not in owners


def test_a_contractor_worker_reads_their_own_record_only(
    session: Session, org: Org, users: Users, cast: Cast
) -> None:
    mine = worker(session, org, users, cast.worker_person)
    theirs = worker(session, org, users, cast.colleague_person)
    me = cast.worker_user
    listed = service.list_rows(session, WORKER, me, ListQuery(page_size=1000)).rows
    assert [r.id for r in listed] == [mine.id]
    assert service.get_row(session, WORKER, me, mine.id).name == mine.name
    with pytest.raises(NotFound):
        service.get_row(session, WORKER, me, theirs.id)
    with pytest.raises(PermissionDenied):
        service.update_row(session, WORKER, me, mine.id, {"phone": "13800000000"})


# --- the demo -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wf", "model"), [(ADMISSION_FLOW, Contractor), (VIOLATION_FLOW, ContractorViolation)]
)
def test_demo_histories_are_walks_of_the_declared_flow(
    demo_session: Session, run_generator, wf: Workflow, model: type
) -> None:
    run_generator("contractor")
    steps = {(s, t.target, t.action) for t in wf.transitions for s in t.sources}
    walks: dict[int, list[Any]] = {}
    for e in events_of(demo_session, wf.table):
        walks.setdefault(e.row_id, []).append(e)
    rows = demo_session.exec(select(model)).all()
    assert rows and set(walks) == {r.id for r in rows}
    for row in rows:
        walk = walks[row.id]
        assert walk[0].from_state is None and walk[0].to_state == wf.initial
        assert all((e.from_state, e.to_state, e.action) in steps for e in walk[1:])
        assert walk[-1].to_state == str(row.state)
