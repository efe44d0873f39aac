"""Emergency plans and the documents published for everyone: a plan is reviewed, approved
(its version becomes current only then), published to its audience and superseded by its
revision; response checklists and external contacts are read by their audience once
published, drafts by editors only.

Cast (tests/factories.py plus two accounts made here): safety_head edits and approves in
enterprise 1; manager is its safety manager, dept_head_a heads 机修车间 (A), where the plans
live; inspector_a, inspector_b and employee_a only read the module.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from core.audience import AudienceList, set_audience
from core.clock import site_today
from core.crud import excel, service
from core.crud.registry import get_spec
from core.crud.service import NotFound, ValidationFailed
from core.emergency.flow import CHECKLIST_FLOW, CONTACT_FLOW, DRILL_FLOW, PLAN_FLOW
from core.rbac import Actor, PermissionDenied
from core.workflow import IllegalTransition, events, fire
from models.emergency import EmergencyPlan, EmergencyPlanVersion
from models.emergency import EmergencyPlanState as P
from models.emergency_drill import DrillState as D
from models.enums import DocumentState
from tests.factories import Org, Users
from tests.flow_props import assert_final_only_through
from tests.modules.emergency_world import history, new_drill, new_plan, published, step
from tests.modules.people_world import ids, managers

PLAN = get_spec("emergency_plan")


@pytest.fixture(scope="module")
def extra(engine, module_settings, world) -> dict[str, Actor]:
    return managers(engine, module_settings, world[0], "emp")


def sheet(header: list[str], row: list[Any]) -> bytes:
    book = Workbook()
    book.active.append(header)
    book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --- plans -----------------------------------------------------------------------------------


def test_a_plan_is_reviewed_approved_and_published_one_event_per_step(
    session: Session, org: Org, users: Users
) -> None:
    plan = published(session, org, users)

    assert plan.state == P.PUBLISHED and plan.version == "V1.0"
    assert plan.effective_on == site_today()
    assert plan.next_drill_due == site_today() + timedelta(days=182), "on-site: half-yearly"
    assert history(session, "emergency_plan", plan) == [
        (None, "draft", "draft_plan"),
        ("draft", "under_review", "send_for_review"),
        ("under_review", "approved", "approve"),
        ("approved", "published", "publish"),
    ]
    (version,) = session.exec(
        select(EmergencyPlanVersion).where(EmergencyPlanVersion.plan_id == plan.id)
    ).all()
    assert (version.version, version.change_summary) == ("V1.0", "首次发布")
    assert version.approved_by == "safety_head" and version.approved_at is not None


def test_a_returned_plan_goes_back_to_draft_with_the_reason(
    session: Session, org: Org, users: Users
) -> None:
    plan = new_plan(session, org, users)
    step(session, PLAN_FLOW, plan, "send_for_review", users.safety_head)

    with pytest.raises(ValidationFailed) as refused:
        fire(session, PLAN_FLOW, plan.id, "return", users.safety_head)
    assert refused.value.problems[0].message("en") == "Please give a comment or reason"

    step(session, PLAN_FLOW, plan, "return", users.safety_head, comment="处置程序缺少报警环节")
    assert plan.state == P.DRAFT and plan.version is None
    assert events(session, "emergency_plan", plan.id)[-1].comment == "处置程序缺少报警环节"


def test_a_revision_becomes_current_only_when_approved_and_supersedes_on_publishing(
    session: Session, org: Org, users: Users
) -> None:
    boss = users.safety_head
    old = published(session, org, users)
    revision = new_plan(
        session, org, users, name="配电室触电现场处置方案(修订)", replaces_id=old.id
    )
    step(session, PLAN_FLOW, revision, "send_for_review", boss)
    assert (revision.version, old.version) == (None, "V1.0"), "under review: not current yet"

    with pytest.raises(ValidationFailed) as refused:
        fire(session, PLAN_FLOW, revision.id, "approve", boss, payload={"version": "V1.0"})
    assert refused.value.problems[0].message("zh-CN") == "版本号 V1.0 已用过，请填写新的版本号"

    step(session, PLAN_FLOW, revision, "approve", boss, comment="组织机构调整")
    assert revision.version == "V2.0" and old.state == P.PUBLISHED
    step(session, PLAN_FLOW, revision, "publish", boss)
    session.refresh(old)

    assert old.state == P.SUPERSEDED and revision.state == P.PUBLISHED
    assert history(session, "emergency_plan", old)[-1] == ("published", "superseded", "supersede")
    with pytest.raises(PermissionDenied, match=r"error\.record_locked"):
        service.update_row(session, PLAN, boss, old.id, {"name": "改名"})


def test_an_approved_version_is_kept_as_approved(session: Session, org: Org, users: Users) -> None:
    plan = published(session, org, users)
    version = session.exec(
        select(EmergencyPlanVersion).where(EmergencyPlanVersion.plan_id == plan.id)
    ).one()
    spec = get_spec("emergency_plan_version")

    assert not spec.allow_create
    with pytest.raises(PermissionDenied, match=r"error\.record_locked"):
        service.update_row(session, spec, users.safety_head, version.id, {"version": "V9.0"})


def test_illegal_plan_steps_are_refused_in_the_users_language(
    session: Session, org: Org, users: Users
) -> None:
    draft = new_plan(session, org, users)
    with pytest.raises(IllegalTransition) as illegal:
        fire(session, PLAN_FLOW, draft.id, "publish", users.safety_head)
    assert illegal.value.message("zh-CN") == "当前状态“编制中”下不能执行“发布”"

    plan = published(session, org, users)
    with pytest.raises(PermissionDenied) as denied:
        fire(session, PLAN_FLOW, plan.id, "supersede", users.employee_a)
    assert "Supersede" in denied.value.message("en")
    with pytest.raises(NotFound):  # a draft does not exist for its readers
        fire(session, PLAN_FLOW, draft.id, "send_for_review", users.employee_a)


def test_forms_and_imports_cannot_set_a_state_or_a_version(
    session: Session, org: Org, users: Users
) -> None:
    boss = users.safety_head
    with pytest.raises(ValidationFailed) as refused:
        new_plan(session, org, users, state="published")
    assert refused.value.problems[0].key == "validation.state_by_workflow"
    plan = new_plan(session, org, users)
    drill = new_drill(session, org, users)
    for table, row, state in (
        ("emergency_plan", plan.id, "published"),
        ("drill", drill.id, "held"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            service.update_row(session, get_spec(table), boss, row, {"state": state})
        assert refused.value.problems[0].key == "validation.state_by_workflow"

    data = sheet(
        ["name", "kind", "enterprise_id", "version", "state"],
        ["危化品库泄漏现场处置方案", "现场处置方案", "苏州精工机械有限公司", "V9.0", "已发布"],
    )
    report = excel.import_rows(session, PLAN, boss, data, "zh-CN")
    assert report.ok, report.errors
    imported = session.exec(
        select(EmergencyPlan).where(EmergencyPlan.name == "危化品库泄漏现场处置方案")
    ).one()
    assert (imported.state, imported.version) == (P.DRAFT, None)


# --- published documents: who reads what ----------------------------------------------------


def test_readers_see_what_is_published_and_editors_the_drafts(
    session: Session, org: Org, users: Users, extra: dict[str, Actor]
) -> None:
    boss = users.safety_head
    current = published(session, org, users)
    draft = new_plan(session, org, users, name="有限空间作业现场处置方案")
    checklist = service.create_row(
        session,
        get_spec("response_checklist"),
        boss,
        {"name": "火灾事故应急处置卡", "enterprise_id": org.ent1, "steps": ["报警(119)"]},
    )
    contact = service.create_row(
        session,
        get_spec("external_contact"),
        boss,
        {"name": "火警", "kind": "fire", "phone": "119", "enterprise_id": org.ent1},
    )
    assert checklist.state == contact.state == DocumentState.DRAFT
    readers = (users.employee_a, users.inspector_a, extra["dept_head_a"])
    for actor in readers:
        assert current.id in ids(session, "emergency_plan", actor)
        assert draft.id not in ids(session, "emergency_plan", actor)
        assert checklist.id not in ids(session, "response_checklist", actor)

    step(session, CHECKLIST_FLOW, checklist, "publish", boss)
    step(session, CONTACT_FLOW, contact, "publish", boss)
    for actor in readers:
        assert checklist.id in ids(session, "response_checklist", actor)
        assert contact.id in ids(session, "external_contact", actor)
    for actor in (boss, extra["manager"]):
        assert {current.id, draft.id} <= ids(session, "emergency_plan", actor)

    step(session, CONTACT_FLOW, contact, "withdraw", boss, comment="号码变更")
    assert contact.id not in ids(session, "external_contact", users.employee_a)
    assert contact.id in ids(session, "external_contact", boss)


def test_a_plan_published_for_one_department_is_read_there_only(
    session: Session, org: Org, users: Users
) -> None:
    plan = published(session, org, users)
    set_audience(session, PLAN, users.safety_head, plan.id, AudienceList(departments=(org.dept_b,)))

    assert plan.id in ids(session, "emergency_plan", users.inspector_b)
    assert plan.id not in ids(session, "emergency_plan", users.employee_a)
    assert plan.id not in ids(session, "emergency_plan", users.inspector_a)


# --- every path to the final state passes its step (hypothesis) ----------------------------


def test_plans_are_approved_and_published_only_by_their_steps() -> None:
    assert_final_only_through(PLAN_FLOW, {P.APPROVED}, {"approve"})
    assert_final_only_through(PLAN_FLOW, {P.PUBLISHED}, {"publish"})


def test_drills_are_evaluated_only_by_the_evaluation() -> None:
    assert_final_only_through(DRILL_FLOW, {D.EVALUATED}, {"evaluate_drill"})


def test_documents_are_published_only_by_publishing() -> None:
    for wf in (CHECKLIST_FLOW, CONTACT_FLOW):
        assert_final_only_through(wf, {DocumentState.PUBLISHED}, {"publish"})


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_publishes_its_current_documents(demo_session, run_generator) -> None:
    run_generator("emergency")
    states = demo_session.exec(select(EmergencyPlan.state)).all()
    assert set(states) == {P.PUBLISHED, P.DRAFT, P.SUPERSEDED}
    assert all(
        p.next_drill_due is not None
        for p in demo_session.exec(select(EmergencyPlan).where(EmergencyPlan.state == P.PUBLISHED))
    )
    drafts = demo_session.exec(select(EmergencyPlan).where(EmergencyPlan.state == P.DRAFT)).all()
    assert all(p.version is None for p in drafts)
