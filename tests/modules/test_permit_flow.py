"""The permit workflow end to end on the demo plant: approval chain with rejection and
unapprove, the start rules (gas, measures, briefing), suspension on a bad reading, close-out,
the archive, certificates, SIMOPS and extensions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed, update_row
from core.db import utcnow
from core.permit.approval import valid_signatures
from core.permit.flow import act, extend, suspend
from core.permit.readings import record_reading
from core.permit.start import start_problems, tick_measures
from core.rbac import PermissionDenied
from core.workflow import IllegalTransition, events
from models.accounts import User
from models.contractor import Contractor, ContractorTrade, ContractorWorker, WorkerStatus
from models.notification import Notification
from models.org import Area, Certificate, Person
from models.permit import Permit, PermitDecision, PermitSignature, PermitState
from tests.modules.permit_world import (
    SIGNERS,
    World,
    approved,
    build_world,
    permit_values,
    ready,
    submitted,
)


@pytest.fixture
def w(demo_session: Session) -> World:
    return build_world(demo_session)


def _keys(problems: list) -> list[str]:
    return [p.key for p in problems]


def _notes(session: Session, permit: Permit, key: str) -> set[int]:
    rows = session.exec(
        select(Notification.user_id).where(
            Notification.table_name == "permit",
            Notification.row_id == permit.id,
            Notification.key == key,
        )
    ).all()
    return set(rows)


def test_a_permit_runs_from_application_to_archive(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = submitted(s, w)
    assert permit.state == PermitState.APPROVING
    assert permit.number.startswith("DH") and len(permit.number) == 13
    first = _notes(s, permit, "notify.permit_to_sign")
    assert w.actor("inspector").user_id in first  # the work leader signs first

    for name in SIGNERS[:-1]:
        act(s, w.actor(name), permit.id, "sign")
        s.refresh(permit)
        assert permit.state == PermitState.APPROVING
    event = act(s, w.actor(SIGNERS[-1]), permit.id, "sign")
    assert event.action == "sign_final" and event.to_state == PermitState.APPROVED
    s.refresh(permit)
    assert [sig.role for sig in valid_signatures(s, permit.id)] == [
        "work_leader",
        "gas_tester",
        "guardian",
        "unit_head",
        "safety_dept",
    ]

    before = _keys(start_problems(s, permit))
    assert {"permit.gas_missing", "permit.measures_open", "permit.briefing_missing"} <= set(before)
    with pytest.raises(ValidationFailed):
        act(s, w.actor("inspector"), permit.id, "start")
    ready(s, w, permit)
    assert start_problems(s, permit) == []
    act(s, w.actor("inspector"), permit.id, "start")
    s.refresh(permit)
    assert permit.state == PermitState.IN_PROGRESS and permit.started_at is not None

    record_reading(
        s,
        w.actor("safety_manager"),
        {
            "permit_id": permit.id,
            "gas": "combustible",
            "value": 0.7,
            "unit": "vol_pct",
            "medium_lel": 5.0,
            "measured_at": utcnow(),
        },
    )
    s.refresh(permit)
    assert permit.state == PermitState.SUSPENDED
    assert "0.7 %vol" in permit.suspend_reason and "0.5 %vol" in permit.suspend_reason
    assert w.actor("inspector").user_id in _notes(s, permit, "notify.permit_suspended")
    with pytest.raises(ValidationFailed) as bad:
        act(s, w.actor("dept_head"), permit.id, "resume")
    assert _keys(bad.value.problems) == ["permit.gas_out_of_limit"]
    record_reading(
        s,
        w.actor("safety_manager"),
        {
            "permit_id": permit.id,
            "gas": "combustible",
            "value": 0.05,
            "unit": "vol_pct",
            "medium_lel": 5.0,
            "measured_at": utcnow(),
        },
    )
    act(s, w.actor("dept_head"), permit.id, "resume")

    with pytest.raises(ValidationFailed):
        act(s, w.actor("inspector"), permit.id, "complete", payload={"workers_out": True})
    act(
        s,
        w.actor("inspector"),
        permit.id,
        "complete",
        payload={"workers_out": True, "site_checked": True},
    )
    act(s, w.actor("dept_head"), permit.id, "close", comment="现场已清理")
    s.refresh(permit)
    assert permit.state == PermitState.CLOSED and permit.closed_at is not None
    acceptor = [sig for sig in valid_signatures(s, permit.id) if sig.role == "acceptor"]
    head = s.get(User, w.actor("dept_head").user_id)
    assert [a.signer_name for a in acceptor] == [head.display_name]
    actions = [e.action for e in events(s, "permit", permit.id)]
    assert actions == [
        "apply",
        "submit",
        "sign",
        "sign",
        "sign",
        "sign",
        "sign_final",
        "start",
        "suspend",
        "resume",
        "complete",
        "close",
    ]

    # archived: no edit, no more readings
    with pytest.raises(PermissionDenied):
        update_row(s, get_spec("permit"), w.actor("admin"), permit.id, {"content": "改"})
    with pytest.raises(PermissionDenied):
        record_reading(
            s,
            w.actor("safety_manager"),
            {
                "permit_id": permit.id,
                "gas": "combustible",
                "value": 0.0,
                "unit": "vol_pct",
                "measured_at": utcnow(),
            },
        )


def test_signers_sign_only_their_own_step(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = submitted(s, w)
    with pytest.raises(PermissionDenied):  # the safety head's steps come after the work leader's
        act(s, w.actor("safety_head"), permit.id, "sign")
    act(s, w.actor("inspector"), permit.id, "sign")
    with pytest.raises(PermissionDenied):  # one signature per person per permit
        act(s, w.actor("inspector"), permit.id, "sign")
    with pytest.raises(NotFound):  # another workshop's employee does not even see it
        act(s, w.actor("employee"), permit.id, "sign")
    assert len(valid_signatures(s, permit.id)) == 1


def test_a_parallel_stage_signs_in_any_order(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = submitted(s, w)
    act(s, w.actor("inspector"), permit.id, "sign")
    act(s, w.actor("dept_head"), permit.id, "sign")  # guardian before the gas tester
    act(s, w.actor("safety_manager"), permit.id, "sign")
    roles = {sig.role for sig in valid_signatures(s, permit.id)}
    assert roles == {"work_leader", "guardian", "gas_tester"}


def test_rejection_sends_the_permit_back_and_resubmission_restarts_the_chain(
    demo_session: Session, w: World
) -> None:
    s = demo_session
    permit = submitted(s, w)
    act(s, w.actor("inspector"), permit.id, "sign")
    with pytest.raises(ValidationFailed):  # a rejection needs its reason
        act(s, w.actor("safety_manager"), permit.id, "reject")
    act(s, w.actor("safety_manager"), permit.id, "reject", comment="可燃气体检测点位不全")
    s.refresh(permit)
    assert permit.state == PermitState.REJECTED
    reject = s.exec(
        select(PermitSignature).where(
            PermitSignature.permit_id == permit.id,
            PermitSignature.decision == PermitDecision.REJECT,
        )
    ).one()
    assert reject.comment == "可燃气体检测点位不全"
    assert w.actor("inspector").user_id in _notes(s, permit, "notify.permit_rejected")
    update_row(s, get_spec("permit"), w.actor("inspector"), permit.id, {"location": "东侧管廊二层"})
    act(s, w.actor("inspector"), permit.id, "submit")
    assert valid_signatures(s, permit.id) == []
    withdrawn = s.exec(
        select(PermitSignature).where(
            PermitSignature.permit_id == permit.id, col(PermitSignature.withdrawn_at).is_not(None)
        )
    ).all()
    assert len(withdrawn) == 2  # kept on record, marked


def test_unapprove_withdraws_the_later_signatures(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w)
    with pytest.raises(ValidationFailed):
        act(s, w.actor("dept_head"), permit.id, "unapprove")  # needs a reason
    act(s, w.actor("dept_head"), permit.id, "unapprove", comment="监护人变更")
    s.refresh(permit)
    assert permit.state == PermitState.APPROVING
    left = {sig.role for sig in valid_signatures(s, permit.id)}
    assert left == {"work_leader", "gas_tester"}  # same stage's other step and earlier ones
    with pytest.raises(PermissionDenied):  # nothing left to withdraw
        act(s, w.actor("dept_head"), permit.id, "unapprove", comment="x")


def test_illegal_steps_are_refused(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = submitted(s, w)
    with pytest.raises(IllegalTransition):
        act(s, w.actor("inspector"), permit.id, "start")
    with pytest.raises(IllegalTransition):
        act(s, w.actor("dept_head"), permit.id, "close")
    with pytest.raises(ValidationFailed):
        act(s, w.actor("inspector"), permit.id, "cancel")
    act(s, w.actor("inspector"), permit.id, "cancel", comment="生产调度调整")
    s.refresh(permit)
    assert permit.state == PermitState.CANCELLED and permit.cancel_reason == "生产调度调整"


def test_only_the_guardian_ticks_the_measures(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w)
    with pytest.raises(PermissionDenied):
        tick_measures(s, w.actor("inspector"), permit, ["DH-01"])
    with pytest.raises(ValidationFailed):
        tick_measures(s, w.actor("dept_head"), permit, ["SX-01"])
    assert tick_measures(s, w.actor("dept_head"), permit, ["DH-01", "DH-02"]) == ["DH-01", "DH-02"]
    assert permit.measures_checked["DH-01"]["by"] == w.actor("dept_head").user_id


def test_briefing_must_be_signed_by_every_worker(demo_session: Session, w: World) -> None:
    from core.permit.start import record_briefing

    s = demo_session
    permit = approved(s, w)
    record_briefing(s, w.actor("inspector"), permit, "交底内容", permit.workers[:1])
    keys = _keys(start_problems(s, permit))
    assert "permit.briefing_unsigned" in keys
    names = next(p for p in start_problems(s, permit) if p.key == "permit.briefing_unsigned")
    other = s.get(Person, permit.workers[1])
    assert other.name in names.params["names"]


def test_workers_without_a_valid_certificate_are_named(demo_session: Session, w: World) -> None:
    s = demo_session
    nobody = s.exec(
        select(Person).where(
            Person.enterprise_id == w.enterprise_id,
            col(Person.id).not_in(select(Certificate.person_id)),
        )
    ).first()
    lapsed = s.exec(
        select(Certificate).where(
            Certificate.work_type == "焊接与热切割作业",
            col(Certificate.expires_on) < utcnow().date(),
        )
    ).first()
    workers = [nobody.id] + ([lapsed.person_id] if lapsed else [])
    with pytest.raises(ValidationFailed) as refused:
        submitted(s, w, workers=workers)
    by_key = {p.key: p for p in refused.value.problems}
    assert by_key["permit.cert_missing"].params["name"] == nobody.name
    assert "焊接与热切割作业" in by_key["permit.cert_missing"].params["types"]
    if lapsed:
        assert by_key["permit.cert_expired"].params["number"] == lapsed.number
    assert s.exec(select(Permit).where(Permit.state == PermitState.APPROVING)).first() is None


def test_contractor_workers_must_be_admitted_and_certified(demo_session: Session, w: World):
    s = demo_session
    company = Contractor(enterprise_id=w.enterprise_id, name="华安检修", credit_code="91X")
    s.add(company)
    s.flush()
    welding = s.exec(
        select(ContractorTrade).where(ContractorTrade.name == "焊接与热切割作业")
    ).one()
    good_until = utcnow().date() + timedelta(days=300)

    def worker(name: str, status: WorkerStatus, expires: object = good_until) -> str:
        row = ContractorWorker(
            enterprise_id=w.enterprise_id,
            contractor_id=company.id,
            name=name,
            status=status,
            trade_id=welding.id,
            cert_no=f"T-{name}",
            cert_expires_on=expires,
        )
        s.add(row)
        s.flush()
        return f"c{row.id}"

    admitted = worker("钱进", WorkerStatus.IN_PLANT)
    outside = worker("孙立", WorkerStatus.NOT_ENTERED)
    lapsed = worker("周全", WorkerStatus.IN_PLANT, utcnow().date() - timedelta(days=1))
    with pytest.raises(ValidationFailed) as refused:
        submitted(s, w, workers=[admitted, outside, lapsed])
    named = {(p.key, p.params["name"]) for p in refused.value.problems}
    assert named == {("permit.worker_not_admitted", "孙立"), ("permit.cert_expired", "周全")}
    assert submitted(s, w, workers=[admitted]).state == PermitState.APPROVING


def test_overlapping_permits_in_one_area_are_flagged_to_both(demo_session: Session, w: World):
    s = demo_session
    first = submitted(s, w)
    second = submitted(s, w, start=first.planned_start + timedelta(hours=1))
    assert second.simops == [first.id]
    told = _notes(s, second, "notify.permit_simops")
    assert w.actor("inspector").user_id in told and w.actor("safety_manager").user_id in told
    later = submitted(s, w, start=first.planned_end)  # back to back: no overlap
    assert later.simops == [second.id]  # it overlaps the second, which ends later


def test_overlapping_outlines_count_as_one_place(demo_session: Session, w: World) -> None:
    s = demo_session
    base = s.get(Area, w.area_id)
    overlapping = Area(
        enterprise_id=w.enterprise_id,
        department_id=w.department_id,
        name="管廊检修段",
        polygon=[[50, 100], [70, 100], [70, 115], [50, 115]],
    )
    neighbour = Area(
        enterprise_id=w.enterprise_id,
        department_id=w.department_id,
        name="机修车间外墙",
        polygon=[[60, 60], [65, 60], [65, 95], [60, 95]],  # shares the workshop's wall only
    )
    s.add_all([overlapping, neighbour])
    s.flush()
    first = submitted(s, w)
    assert base.polygon
    assert submitted(s, w, area_id=overlapping.id).simops == [first.id]
    assert submitted(s, w, area_id=neighbour.id).simops == []


def test_an_extension_is_a_new_linked_permit(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w)
    with pytest.raises(ValidationFailed):
        extend(s, w.actor("inspector"), permit.id, permit.planned_end - timedelta(hours=1))
    child = extend(s, w.actor("inspector"), permit.id, permit.planned_end + timedelta(hours=3))
    assert child.parent_id == permit.id and child.state == PermitState.DRAFT
    assert child.planned_start == permit.planned_end and child.number != permit.number


def test_the_detector_can_suspend_a_running_permit(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w)
    ready(s, w, permit)
    act(s, w.actor("inspector"), permit.id, "start")
    suspend(s, permit.id, "监护人离岗超过 60 秒")
    s.refresh(permit)
    assert permit.state == PermitState.SUSPENDED
    last = events(s, "permit", permit.id)[-1]
    assert last.actor_name == "system" and last.comment == "监护人离岗超过 60 秒"


def test_starting_outside_the_window_is_refused(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w, start=utcnow() + timedelta(hours=2))
    ready(s, w, permit)
    assert _keys(start_problems(s, permit)) == ["permit.too_early"]
    late = start_problems(s, permit, permit.planned_end + timedelta(minutes=1))
    assert "permit.window_over" in _keys(late)


def test_submission_needs_jsa_crew_and_a_separate_guardian(demo_session: Session, w: World):
    values = permit_values(w, jsa=[], workers=[], form_values={})
    from core.permit.flow import apply_for_permit

    with pytest.raises(ValidationFailed) as refused:
        apply_for_permit(demo_session, w.actor("inspector"), values, submit=True)
    keys = set(_keys(refused.value.problems))
    assert {"permit.jsa_missing", "permit.workers_missing", "permit.field_required"} <= keys
    with pytest.raises(ValidationFailed) as same:
        submitted(demo_session, w, workers=[*w.welders, w.guardian])
    assert "permit.guardian_is_worker" in _keys(same.value.problems)


def test_the_home_to_do_list_names_the_signature_due(demo_session: Session, w: World) -> None:
    from core.inbox import todo_for

    permit = submitted(demo_session, w)
    mine = [i for i in todo_for(demo_session, w.actor("inspector")) if i.row_id == permit.id]
    assert [i.key for i in mine] == ["todo.permit_sign"]
    act(demo_session, w.actor("inspector"), permit.id, "sign")
    keys = {i.key for i in todo_for(demo_session, w.actor("dept_head")) if i.row_id == permit.id}
    assert keys == {"todo.permit_sign", "todo.permit_guard"}  # guardian step due, and the site
