"""Assigning training as a safety manager meets it: approving a plan gives each person its
items target one assignment (department with its sub-departments, post, role, new hires,
contractor company, whole enterprise), once; people joining a targeted post later get
theirs, people moving away keep theirs; only the system completes an assignment, when the
course is complete, and that writes one training record.

Each test builds its own enterprise (机加工厂: 生产部 with 一车间 under it, and 仓储部) in the
shared module world, so counts do not depend on other tests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, ValidationFailed, list_rows
from core.i18n import t
from core.inbox import remind_due
from core.rbac import SYSTEM, Actor, PermissionDenied, actor_for
from core.system.accounts import open_account
from core.training import course_completion
from core.training.assignment_flow import ASSIGNMENT_FLOW, mark_started
from core.training.assignments import assign_plan
from core.training.flow import PLAN_FLOW
from core.training.outcomes import ExamOutcome, exam_graded
from core.training.reminders import ASSIGNMENT_DUE
from core.workflow import events, fire
from models.accounts import User
from models.contractor import Contractor, ContractorWorker
from models.enums import Role
from models.notification import Notification
from models.training import TrainingCourse, TrainingPlan, TrainingRecord
from models.training_exam import ExamPaper, ExamRecord
from models.training_learning import (
    AssignmentSource,
    AssignmentState,
    CourseMaterial,
    StudyProgress,
    TrainingAssignment,
)
from models.workflow import WorkflowEvent
from tests import factories
from tests.factories import Org, make, serial
from tests.flow_props import assert_final_only_through
from tests.modules.conftest import TODAY as DEMO_TODAY

TODAY = site_today()
NOW = datetime.now(UTC)


@dataclass
class Plant:
    """One enterprise's ids: departments, a post, people and a contractor."""

    ent: int
    production: int  # 生产部
    workshop: int  # 一车间, under 生产部
    store: int  # 仓储部
    welder: int  # post 焊工 in 一车间
    storekeeper: int  # post 仓管员 in 仓储部
    wang: int  # 王强: 生产部
    zhao: int  # 赵敏: 一车间, welder
    qian: int  # 钱坤: 仓储部, hired last week, user with the inspector role
    sun: int  # 孙丽: 一车间, has left
    zhou: int  # 周杰: contractor worker of 华建
    contractor: int
    course: int


def build_plant(session: Session, org: Org, settings) -> Plant:
    n = serial()
    ent = factories.enterprise(session, org.park).id
    production = factories.department(session, ent, f"生产部{n}").id
    workshop = factories.department(session, ent, f"一车间{n}", parent_id=production).id
    store = factories.department(session, ent, f"仓储部{n}").id
    welder = factories.post(session, ent, workshop, name=f"焊工{n}").id
    storekeeper = factories.post(session, ent, store, name=f"仓管员{n}").id
    old = date(2020, 3, 1)

    def person(name: str, dept: int, **values) -> int:
        return factories.person(session, ent, dept, name=name, **{"hired_on": old, **values}).id

    wang = person("王强", production)
    zhao = person("赵敏", workshop, post_id=welder)
    qian = person("钱坤", store, hired_on=TODAY - timedelta(days=7))
    sun = person("孙丽", workshop, status="left")
    zhou = person("周杰", store)
    factories.user(session, settings, f"qian{n}", Role.INSPECTOR, enterprise_id=ent, person_id=qian)
    contractor = Contractor(name="华建安装", credit_code=f"91C{n:06d}", enterprise_id=ent)
    session.add(contractor)
    session.flush()
    session.add(ContractorWorker(contractor_id=contractor.id, name="周杰", person_id=zhou))
    course = make(session, "training_course", SYSTEM, name=f"有限空间作业{n}", enterprise_id=ent)
    return Plant(ent, production, workshop, store, welder, storekeeper, wang, zhao, qian, sun,
                 zhou, contractor.id or 0, course.id)  # fmt: skip


@pytest.fixture
def plant(session: Session, world, module_settings) -> Plant:
    return build_plant(session, world[0], module_settings)


def plan_with(session: Session, p: Plant, **item) -> tuple[int, int]:
    plan = make(session, "training_plan", SYSTEM, name="2026年度三级安全教育", course_id=p.course,
                planned_on=TODAY, enterprise_id=p.ent)  # fmt: skip
    values = {"plan_id": plan.id, "course_id": p.course, "follow_joiners": True, **item}
    made = make(session, "training_plan_item", SYSTEM, **values)
    return plan.id, made.id


def assigned(session: Session, course: int) -> dict[int, TrainingAssignment]:
    stmt = select(TrainingAssignment).where(TrainingAssignment.course_id == course)
    return {a.person_id: a for a in session.exec(stmt).all()}


TARGETS = {
    "enterprise": ({}, {"wang", "zhao", "qian", "zhou"}),
    "department": ({"department_id": "production"}, {"wang", "zhao"}),
    "post": ({"post_id": "welder"}, {"zhao"}),
    "role": ({"role": Role.INSPECTOR.value}, {"qian"}),
    "new_hires": ({"hired_within_days": 30}, {"qian"}),
    "contractor": ({"contractor_id": "contractor"}, {"zhou"}),
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_approving_a_plan_assigns_each_targeted_person_once(session, plant, target) -> None:
    extra, expected = TARGETS[target]
    values = {k: getattr(plant, v) if isinstance(v, str) and k.endswith("_id") else v
              for k, v in extra.items()}  # fmt: skip
    plan_id, item_id = plan_with(session, plant, target=target, due_days=14, **values)
    assert assigned(session, plant.course) == {}, "a draft plan assigns nobody"
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    got = assigned(session, plant.course)
    assert set(got) == {getattr(plant, name) for name in expected}
    for a in got.values():
        assert (a.state, a.source, a.plan_item_id) == ("assigned", "plan", item_id)
        assert a.due_on == TODAY + timedelta(days=14)
        assert a.enterprise_id == plant.ent
        history = events(session, "training_assignment", a.id)
        assert [e.action for e in history] == ["assign_training"]
    assert assign_plan(session, SYSTEM, plan_id) == 0, "approving again assigns nobody twice"
    assert len(assigned(session, plant.course)) == len(expected)


def test_a_target_needs_its_group_named(session, plant) -> None:
    plan = make(session, "training_plan", SYSTEM, name="岗位培训", course_id=plant.course,
                planned_on=TODAY, enterprise_id=plant.ent)  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        make(session, "training_plan_item", SYSTEM, plan_id=plan.id, course_id=plant.course,
             target="post")  # fmt: skip
    (problem,) = refused.value.problems
    assert problem.field == "post_id"
    assert "岗位" in problem.message("zh-CN") and "Post" in problem.message("en")
    item = make(session, "training_plan_item", SYSTEM, plan_id=plan.id, course_id=plant.course,
                target="new_hires")  # fmt: skip
    assert item.hired_within_days == 90


def test_people_joining_the_post_get_theirs_and_leavers_keep_theirs(session, plant) -> None:
    plan_id, _ = plan_with(session, plant, target="post", post_id=plant.welder, due_days=30)
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    assert set(assigned(session, plant.course)) == {plant.zhao}

    newcomer = factories.person(session, plant.ent, plant.workshop, name="吴昊",
                                post_id=plant.welder).id  # fmt: skip
    person_spec = get_spec("person")
    service.update_row(session, person_spec, SYSTEM, plant.wang, {"post_id": plant.welder})
    service.update_row(session, person_spec, SYSTEM, plant.zhao, {"post_id": plant.storekeeper})
    got = assigned(session, plant.course)
    assert set(got) == {plant.zhao, newcomer, plant.wang}, "赵敏 moved away and keeps hers"
    assert got[newcomer].source == AssignmentSource.JOINER
    assert got[newcomer].due_on == TODAY + timedelta(days=30)
    assert got[plant.zhao].source == AssignmentSource.PLAN
    service.update_row(session, person_spec, SYSTEM, newcomer, {"phone": "13800000000"})
    assert len(assigned(session, plant.course)) == 3, "saving again assigns nothing new"


def test_a_new_role_or_a_linked_worker_joins_too(session, plant) -> None:
    plan_id, _ = plan_with(session, plant, target="role", role=Role.DEPT_HEAD.value)
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    assert assigned(session, plant.course) == {}
    user = session.exec(select(User).where(User.person_id == plant.qian)).one()
    service.update_row(session, get_spec("user"), SYSTEM, user.id, {"roles": ["dept_head"]})
    assert set(assigned(session, plant.course)) == {plant.qian}


def test_an_account_opened_with_a_targeted_role_gets_its_course(
    session, plant, module_settings
) -> None:
    """The users page opens accounts outside the CRUD engine; the assignment follows anyway."""
    plan_id, _ = plan_with(session, plant, target="role", role=Role.DEPT_HEAD.value)
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    open_account(session, SYSTEM, module_settings, username=f"zhou{serial()}",
                 display_name="周", password="Safeloop2026!", roles=[Role.DEPT_HEAD],
                 enterprise_id=plant.ent, person_id=plant.wang)  # fmt: skip
    assert set(assigned(session, plant.course)) == {plant.wang}


def test_cancelling_a_plan_waives_what_is_still_open_with_its_reason(session, plant) -> None:
    plan_id, _ = plan_with(session, plant, target="enterprise")
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    got = assigned(session, plant.course)
    done, *rest = got.values()
    fire(session, ASSIGNMENT_FLOW, done.id, "complete", SYSTEM)
    fire(session, PLAN_FLOW, plan_id, "cancel", SYSTEM, comment="停产检修，改期")
    states = {a.id: a.state for a in assigned(session, plant.course).values()}
    assert states.pop(done.id) == AssignmentState.COMPLETED
    assert rest and set(states.values()) == {AssignmentState.WAIVED}
    last = events(session, "training_assignment", rest[0].id)[-1]
    assert (last.action, last.comment) == ("waive", "停产检修，改期")


def test_a_draft_or_cancelled_plan_takes_no_joiners(session, plant) -> None:
    plan_with(session, plant, target="post", post_id=plant.welder)
    factories.person(session, plant.ent, plant.workshop, post_id=plant.welder)
    assert assigned(session, plant.course) == {}


def _one_assignment(session: Session, plant: Plant) -> TrainingAssignment:
    plan_id, _ = plan_with(session, plant, target="post", post_id=plant.welder)
    fire(session, PLAN_FLOW, plan_id, "approve", SYSTEM)
    return assigned(session, plant.course)[plant.zhao]


def _actor(
    session: Session, plant: Plant, settings, role: Role, person: int | None = None
) -> Actor:
    account = factories.user(session, settings, f"u{serial()}", role, enterprise_id=plant.ent,
                             person_id=person)  # fmt: skip
    return actor_for(session, account)


def test_waiving_needs_a_reason_and_only_the_system_completes(
    session, plant, users, module_settings
) -> None:
    a = _one_assignment(session, plant)
    zhao = _actor(session, plant, module_settings, Role.EMPLOYEE, plant.zhao)
    manager = _actor(session, plant, module_settings, Role.SAFETY_MANAGER)
    for who in (zhao, manager, users.admin):
        with pytest.raises(PermissionDenied):
            fire(session, ASSIGNMENT_FLOW, a.id, "complete", who)
        assert "complete" not in [s.action for s in ASSIGNMENT_FLOW.allowed(a, who)]
    with pytest.raises(PermissionDenied):
        fire(session, ASSIGNMENT_FLOW, a.id, "waive", zhao)
    with pytest.raises(ValidationFailed):
        fire(session, ASSIGNMENT_FLOW, a.id, "waive", manager)
    fire(session, ASSIGNMENT_FLOW, a.id, "waive", manager, comment="已持有效特种作业证")
    session.refresh(a)
    assert a.state == AssignmentState.WAIVED


def test_a_started_assignment_keeps_its_person_course_and_date(
    session, plant, module_settings
) -> None:
    a = _one_assignment(session, plant)
    zhao = _actor(session, plant, module_settings, Role.EMPLOYEE, plant.zhao)
    spec = get_spec("training_assignment")
    service.update_row(session, spec, SYSTEM, a.id, {"due_on": TODAY + timedelta(days=60)})
    assert mark_started(session, zhao, plant.zhao, plant.course) == 1
    assert mark_started(session, zhao, plant.zhao, plant.course) == 0
    session.refresh(a)
    assert a.state == AssignmentState.IN_PROGRESS
    with pytest.raises(ValidationFailed) as refused:
        service.update_row(session, spec, SYSTEM, a.id, {"due_on": TODAY})
    assert refused.value.problems[0].field == "due_on"
    assert t("enum.AssignmentState.in_progress") in refused.value.problems[0].message("zh-CN")


def test_a_manual_assignment_is_marked_manual(session, plant) -> None:
    a = make(session, "training_assignment", SYSTEM, person_id=plant.wang,
             course_id=plant.course, due_on=TODAY + timedelta(days=10))  # fmt: skip
    assert (a.source, a.state, a.assigned_on) == ("manual", "assigned", TODAY)
    assert a.enterprise_id == plant.ent
    assert [e.action for e in events(session, "training_assignment", a.id)] == ["assign_training"]


def test_assignments_are_found_by_their_persons_or_courses_name(session, plant) -> None:
    for person in (plant.wang, plant.zhao):
        make(session, "training_assignment", SYSTEM, person_id=person, course_id=plant.course,
             due_on=TODAY + timedelta(days=10))  # fmt: skip
    spec = get_spec("training_assignment")

    def found(text: str) -> set[int]:
        page = list_rows(session, spec, SYSTEM, ListQuery(search=text))
        return {r.person_id for r in page.rows}

    assert found("王强") == {plant.wang}
    course = session.get(TrainingCourse, plant.course)
    assert found(course.name[:3]) == {plant.wang, plant.zhao}
    assert found("没有这个人") == set()


def _course_with_material_and_paper(session: Session, plant: Plant) -> tuple[int, int]:
    material = CourseMaterial(course_id=plant.course, title="有限空间作业安全规程")
    paper = ExamPaper(name="有限空间考试", course_id=plant.course, enterprise_id=plant.ent)
    session.add_all([material, paper])
    session.flush()
    return material.id or 0, paper.id or 0


def _passed_exam(session: Session, plant: Plant, person: int, paper: int) -> ExamOutcome:
    record = ExamRecord(exam_no=f"KS{serial()}", paper_id=paper, person_id=person, score=92,
                        passed=True, started_at=NOW, submitted_at=NOW,
                        enterprise_id=plant.ent)  # fmt: skip
    session.add(record)
    session.flush()
    return ExamOutcome(person, paper, record.id or 0, 92, True, NOW)


def test_studied_and_passed_completes_the_assignment_and_writes_one_record(
    session, plant, users
) -> None:
    a = _one_assignment(session, plant)
    material, paper = _course_with_material_and_paper(session, plant)
    outcome = _passed_exam(session, plant, plant.zhao, paper)
    exam_graded(session, users.safety_head, outcome)
    session.refresh(a)
    assert a.state == AssignmentState.ASSIGNED, "the material is not studied yet"

    session.add(StudyProgress(person_id=plant.zhao, course_id=plant.course, material_id=material,
                              seconds=600, completed_at=NOW, enterprise_id=plant.ent))  # fmt: skip
    session.flush()
    assert course_completion.refresh(session, users.safety_head, plant.zhao, plant.course, NOW)
    session.refresh(a)
    assert (a.state, a.completed_on) == (AssignmentState.COMPLETED, NOW.date())
    records = session.exec(
        select(TrainingRecord).where(TrainingRecord.person_id == plant.zhao)
    ).all()
    assert len(records) == 1
    (record,) = records
    assert (record.course_id, record.score, record.result) == (plant.course, 92, "passed")
    assert (record.exam_record_id, record.assignment_id) == (outcome.exam_record_id, a.id)
    assert a.record_id == record.id and record.enterprise_id == plant.ent
    steps = [(e.action, e.actor_name) for e in events(session, "training_assignment", a.id)]
    assert steps[-1][0] == "complete" and steps[-1][1].startswith("system")

    assert not course_completion.refresh(session, SYSTEM, plant.zhao, plant.course, NOW)
    exam_graded(session, users.safety_head, outcome)
    count = select(TrainingRecord.id).where(col(TrainingRecord.person_id) == plant.zhao)
    assert len(session.exec(count).all()) == 1, "not twice"


def test_a_course_with_nothing_online_is_never_completed_here(session, plant) -> None:
    a = _one_assignment(session, plant)
    assert not course_completion.refresh(session, SYSTEM, plant.zhao, plant.course, NOW)
    session.refresh(a)
    assert a.state == AssignmentState.ASSIGNED


def test_concurrent_assigning_never_duplicates(empty_engine, module_settings) -> None:
    """Two writers assigning the same plan at once (a retry racing the approval) leave one
    assignment per person, on PostgreSQL as on SQLite."""
    with Session(empty_engine) as s:
        org = factories.build_org(s)
        plant = build_plant(s, org, module_settings)
        plan_id, _ = plan_with(s, plant, target="enterprise")
        s.commit()
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def assign() -> None:
        try:
            with Session(empty_engine) as s:
                barrier.wait()
                assign_plan(s, SYSTEM, plan_id)
                s.commit()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=assign) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    with Session(empty_engine) as s:
        rows = s.exec(select(TrainingAssignment.person_id)).all()
        assert sorted(rows) == sorted({plant.wang, plant.zhao, plant.qian, plant.zhou})


def test_the_demo_has_open_and_completed_assignments(run_generator, demo_session) -> None:
    counts = run_generator("training")
    assert counts["training_plan_item"] > 0 and counts["training_assignment"] > 0
    states = {a.state for a in demo_session.exec(select(TrainingAssignment)).all()}
    assert {AssignmentState.ASSIGNED, AssignmentState.COMPLETED} <= states

    # a completed plan's and assignment's page tells how they got there, never "history (0)"
    plan = demo_session.exec(
        select(TrainingPlan).where(TrainingPlan.state == "completed").order_by(col(TrainingPlan.id))
    ).first()
    steps = [
        (e.action, e.from_state, e.to_state) for e in events(demo_session, "training_plan", plan.id)
    ]
    assert steps == [
        ("draft_training_plan", None, "draft"),
        ("approve", "draft", "approved"),
        ("start", "approved", "in_progress"),
        ("complete", "in_progress", "completed"),
    ]
    done = demo_session.exec(
        select(TrainingAssignment).where(TrainingAssignment.state == AssignmentState.COMPLETED)
    ).first()
    history = events(demo_session, "training_assignment", done.id)
    assert [e.action for e in history] == ["assign_training", "start", "complete"]
    assert history[-1].ts.date() <= done.completed_on <= DEMO_TODAY
    for table, model in (
        ("training_plan", TrainingPlan),
        ("training_assignment", TrainingAssignment),
    ):
        last = dict(
            demo_session.exec(
                select(WorkflowEvent.row_id, WorkflowEvent.to_state)
                .where(WorkflowEvent.table_name == table)
                .order_by(col(WorkflowEvent.ts), col(WorkflowEvent.id))
            ).all()
        )
        rows = demo_session.exec(select(model.id, model.state)).all()
        assert {r: str(s) for r, s in rows} == last, f"every {table}'s history ends in its state"


def test_an_assignment_is_completed_only_by_completing_it() -> None:
    assert_final_only_through(ASSIGNMENT_FLOW, {"completed"}, {"complete"})
    assert_final_only_through(ASSIGNMENT_FLOW, {"waived"}, {"waive"})


def test_an_open_assignment_reminds_its_person_and_a_finished_one_does_not(
    session, plant, module_settings
) -> None:
    a = _one_assignment(session, plant)
    zhao = _actor(session, plant, module_settings, Role.EMPLOYEE, plant.zhao)
    due = a.due_on
    assert remind_due(session, ASSIGNMENT_DUE, due - timedelta(days=3)) >= 1
    told = session.exec(
        select(Notification).where(
            Notification.table_name == "training_assignment", Notification.row_id == a.id
        )
    ).all()
    assert {n.user_id for n in told} == {zhao.user_id}
    fire(session, ASSIGNMENT_FLOW, a.id, "complete", SYSTEM)
    assert remind_due(session, ASSIGNMENT_DUE, due + timedelta(days=10)) == 0
