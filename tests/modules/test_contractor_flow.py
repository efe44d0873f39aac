"""The contractor workflows: admission only on a valid qualification, only by those who
may approve (blacklisting: safety heads and managers, with a reason); violations closed only
once rectified; states no form or import can set; one event per step; a hypothesis property
test per workflow. Cast: tests/modules/contractor_world.py.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from core.clock import site_today
from core.contractor.flow import ADMISSION_FLOW, VIOLATION_FLOW
from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.i18n import Translatable
from core.rbac import PermissionDenied
from core.workflow import IllegalTransition, events
from models.contractor import (
    Contractor,
    ContractorState,
    ContractorViolation,
    ContractorViolationState,
)
from models.enums import Role
from tests import factories
from tests.factories import Org, Users
from tests.flow_props import assert_final_only_through
from tests.modules.contractor_world import (
    Cast,
    build_cast,
    company,
    qualification,
    reviewing,
    step,
)

CONTRACTOR = get_spec("contractor")
VIOLATION = get_spec("contractor_violation")


@pytest.fixture(scope="module")
def cast(engine, module_settings, world) -> Cast:
    return build_cast(engine, module_settings, world[0])


def history(session: Session, table: str, row: Any) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.action) for e in events(session, table, row.id)]


def violation(session: Session, org: Org, users: Users) -> ContractorViolation:
    c = reviewing(session, org, users, None)
    step(session, ADMISSION_FLOW, c, "admit", users.safety_head)
    return factories.make(
        session,
        "contractor_violation",
        users.safety_head,
        contractor_id=c.id,
        occurred_on=site_today(),
        description="高处作业未系挂安全带",
        points=3,
    )


def refused(exc: pytest.ExceptionInfo[Translatable]) -> str:
    return exc.value.message("zh-CN")


# --- admission ------------------------------------------------------------------------------


def test_admission_steps_leave_one_event_each(session: Session, org: Org, users: Users) -> None:
    c = reviewing(session, org, users, None)
    boss = users.safety_head
    step(session, ADMISSION_FLOW, c, "admit", boss)
    session.refresh(c)
    assert c.state == ContractorState.ADMITTED and c.admitted_on == site_today()
    step(session, ADMISSION_FLOW, c, "suspend", boss, comment="年度评价不合格")
    step(session, ADMISSION_FLOW, c, "reinstate", boss)
    step(session, ADMISSION_FLOW, c, "blacklist", boss, comment="多次严重违章")
    session.refresh(c)
    assert c.state == ContractorState.BLACKLISTED and c.blacklisted
    assert history(session, "contractor", c) == [
        (None, "applied", "apply"),
        ("applied", "reviewing", "send_for_review"),
        ("reviewing", "admitted", "admit"),
        ("admitted", "suspended", "suspend"),
        ("suspended", "admitted", "reinstate"),
        ("admitted", "blacklisted", "blacklist"),
    ]


@pytest.mark.parametrize(
    ("expiries", "says"),
    [((), "没有任何资质证件"), ((-1, -400), "2 份资质证件均已过期")],
    ids=["no_qualification", "all_expired"],
)
def test_admit_is_refused_without_a_valid_qualification(
    session: Session, org: Org, users: Users, expiries: tuple[int, ...], says: str
) -> None:
    today = site_today()
    c = reviewing(session, org, users, *(today + timedelta(days=d) for d in expiries))
    with pytest.raises(Translatable) as err:
        step(session, ADMISSION_FLOW, c, "admit", users.safety_head)
    assert says in refused(err) and c.name in refused(err)
    assert "cannot be admitted" in err.value.message("en")
    session.refresh(c)
    assert c.state == ContractorState.REVIEWING and c.admitted_on is None
    assert len(events(session, "contractor", c.id)) == 2


def test_a_qualification_expiring_today_is_still_valid(
    session: Session, org: Org, users: Users
) -> None:
    c = reviewing(session, org, users, site_today())
    step(session, ADMISSION_FLOW, c, "admit", users.safety_head)
    session.refresh(c)
    assert c.state == ContractorState.ADMITTED


def test_reinstate_checks_the_qualifications_again(
    session: Session, org: Org, users: Users
) -> None:
    c = company(session, org, users)
    doc = qualification(session, c.id, site_today() + timedelta(days=5))
    boss = users.safety_head
    for action in ("send_for_review", "admit", "suspend"):
        step(session, ADMISSION_FLOW, c, action, boss, comment="资质即将到期")
    service.update_row(
        session,
        get_spec("contractor_qualification"),
        boss,
        doc.id,
        {"expires_on": site_today() - timedelta(days=1)},
    )
    with pytest.raises(Translatable) as err:
        step(session, ADMISSION_FLOW, c, "reinstate", boss)
    assert "均已过期" in refused(err)
    session.refresh(c)
    assert c.state == ContractorState.SUSPENDED


@pytest.mark.parametrize("action", ["admit", "reject", "suspend", "reinstate"])
def test_admission_steps_out_of_order_are_refused(
    session: Session, org: Org, users: Users, action: str
) -> None:
    c = company(session, org, users)
    qualification(session, c.id, None)
    with pytest.raises(IllegalTransition) as err:
        step(session, ADMISSION_FLOW, c, action, users.safety_head, comment="x")
    assert "已申请" in refused(err)
    assert len(events(session, "contractor", c.id)) == 1


def test_approvals_need_the_approve_grant(session: Session, org: Org, users: Users) -> None:
    grants = users.safety_head.grants - {("contractor", "approve")}
    clerk = replace(users.safety_head, grants=grants)
    c = company(session, org, users)
    qualification(session, c.id, None)
    step(session, ADMISSION_FLOW, c, "send_for_review", clerk)
    with pytest.raises(PermissionDenied) as err:
        step(session, ADMISSION_FLOW, c, "admit", clerk)
    assert "准入" in refused(err)


def test_blacklisting_takes_a_safety_manager_and_a_reason(
    session: Session, org: Org, users: Users, cast: Cast
) -> None:
    c = company(session, org, users)
    approver_not_manager = replace(users.safety_head, roles=frozenset({Role.DEPT_HEAD}))
    with pytest.raises(PermissionDenied):
        step(session, ADMISSION_FLOW, c, "blacklist", approver_not_manager, comment="违章")
    with pytest.raises(ValidationFailed) as err:
        step(session, ADMISSION_FLOW, c, "blacklist", cast.manager)
    assert [p.field for p in err.value.problems] == ["comment"]
    step(session, ADMISSION_FLOW, c, "blacklist", cast.manager, comment="伪造资质材料")
    session.refresh(c)
    assert c.state == ContractorState.BLACKLISTED and c.blacklisted
    with pytest.raises(IllegalTransition):
        step(session, ADMISSION_FLOW, c, "blacklist", cast.manager, comment="again")


def test_rejection_needs_a_reason_and_locks_the_record(
    session: Session, org: Org, users: Users
) -> None:
    c = reviewing(session, org, users, None)
    with pytest.raises(ValidationFailed):
        step(session, ADMISSION_FLOW, c, "reject", users.safety_head)
    step(session, ADMISSION_FLOW, c, "reject", users.safety_head, comment="安全业绩不满足要求")
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, CONTRACTOR, users.safety_head, c.id, {"phone": "021-1"})
    assert err.value.key == "error.record_locked"


def test_a_form_cannot_set_the_admission_state_or_the_blacklist_flag(
    session: Session, org: Org, users: Users
) -> None:
    c = company(session, org, users)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, CONTRACTOR, users.safety_head, c.id, {"state": "admitted"})
    assert err.value.problems[0].key == "validation.state_by_workflow"
    with pytest.raises(ValidationFailed):
        company(session, org, users, state="admitted")
    service.update_row(session, CONTRACTOR, users.safety_head, c.id, {"blacklisted": True})
    session.refresh(c)
    assert c.state == ContractorState.APPLIED and not c.blacklisted


def _sheet(header: list[str], *rows: list[Any]) -> bytes:
    book = Workbook()
    for line in (header, *rows):
        book.active.append(line)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_an_import_cannot_set_the_admission_state(session: Session, users: Users) -> None:
    data = _sheet(
        ["name", "credit_code", "state", "blacklisted", "enterprise_id"],
        [
            "上海鑫华机电安装工程有限公司",
            "91310115MA99999999",
            "已准入",
            "是",
            "苏州精工机械有限公司",
        ],
    )
    report = excel.import_rows(session, CONTRACTOR, users.safety_head, data, "zh-CN")
    assert report.ok, report.errors
    row = session.exec(
        select(Contractor).where(Contractor.credit_code == "91310115MA99999999")
    ).one()
    assert row.state == ContractorState.APPLIED and not row.blacklisted


# --- violations -----------------------------------------------------------------------------


def test_violation_is_notified_rectified_and_closed(
    session: Session, org: Org, users: Users
) -> None:
    v = violation(session, org, users)
    boss = users.safety_head
    step(session, VIOLATION_FLOW, v, "notify", boss)
    step(session, VIOLATION_FLOW, v, "rectify_violation", boss, comment="已对当事人安全教育")
    step(session, VIOLATION_FLOW, v, "close", boss)
    session.refresh(v)
    assert v.state == ContractorViolationState.CLOSED
    assert history(session, "contractor_violation", v) == [
        (None, "recorded", "record_violation"),
        ("recorded", "notified", "notify"),
        ("notified", "rectified", "rectify_violation"),
        ("rectified", "closed", "close"),
    ]
    with pytest.raises(PermissionDenied) as err:
        service.update_row(session, VIOLATION, boss, v.id, {"points": 1})
    assert err.value.key == "error.record_locked"


def test_an_appeal_is_upheld_or_revokes_the_violation(
    session: Session, org: Org, users: Users
) -> None:
    v = violation(session, org, users)
    boss = users.safety_head
    step(session, VIOLATION_FLOW, v, "notify", boss)
    step(session, VIOLATION_FLOW, v, "appeal", boss, comment="当事人已系挂安全带")
    step(session, VIOLATION_FLOW, v, "uphold_violation", boss, comment="视频显示未系挂")
    session.refresh(v)
    assert v.state == ContractorViolationState.NOTIFIED
    step(session, VIOLATION_FLOW, v, "appeal", boss, comment="补充证据")
    step(session, VIOLATION_FLOW, v, "revoke", boss, comment="申诉成立")
    session.refresh(v)
    assert v.state == ContractorViolationState.REVOKED
    assert [a for _, _, a in history(session, "contractor_violation", v)] == [
        "record_violation",
        "notify",
        "appeal",
        "uphold_violation",
        "appeal",
        "revoke",
    ]


@pytest.mark.parametrize(
    ("before", "state"),
    [((), "已登记"), (("notify",), "已通知"), (("notify", "appeal"), "申诉中")],
)
def test_a_violation_closes_only_once_rectified(
    session: Session, org: Org, users: Users, before: tuple[str, ...], state: str
) -> None:
    v = violation(session, org, users)
    for action in before:
        step(session, VIOLATION_FLOW, v, action, users.safety_head, comment="x")
    with pytest.raises(IllegalTransition) as err:
        step(session, VIOLATION_FLOW, v, "close", users.safety_head)
    assert state in refused(err)
    session.refresh(v)
    assert v.state != ContractorViolationState.CLOSED


def test_a_form_cannot_set_the_violation_state(session: Session, org: Org, users: Users) -> None:
    v = violation(session, org, users)
    with pytest.raises(ValidationFailed) as err:
        service.update_row(session, VIOLATION, users.safety_head, v.id, {"state": "closed"})
    assert err.value.problems[0].key == "validation.state_by_workflow"


def test_admitted_only_through_admit_or_reinstate() -> None:
    assert_final_only_through(ADMISSION_FLOW, {"admitted"}, {"admit", "reinstate"})


def test_closed_only_through_close_from_rectified() -> None:
    assert_final_only_through(VIOLATION_FLOW, {"closed"}, {"close"})
    assert VIOLATION_FLOW.transition("close").sources == (ContractorViolationState.RECTIFIED,)
