"""The inspection loop as an inspector and a safety manager meet it: checklists follow the
control measures, plans produce exactly one round per period (month ends, leap days, the
site's calendar, two generators at once), and a round is only closed when every line is
checked, with failed lines becoming hazards on their risk points."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, func, select

from core.clock import add_months
from core.inspection import schedule as inspection_schedule
from core.inspection.checklists import checklist_from_measures
from core.inspection.rounds import InspectionRefused, check_in, submit, tick
from core.inspection.schedule import due_dates, generate_tasks
from core.inspection.todo import inspection_todo, my_tasks, overdue_clause
from core.rbac import SYSTEM, Actor, PermissionDenied
from models.enums import RiskLevel
from models.org import Area
from models.risk import MeasureClass
from models.risk_inspection import (
    CheckResult,
    InspectionCheckItem,
    InspectionChecklist,
    InspectionPlan,
    InspectionPlanType,
    InspectionResult,
    InspectionTask,
    InspectionTaskItem,
    InspectionTaskState,
)
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit
from models.system import AuditEntry
from tests.factories import Org, Users, build_org

D = InspectionPlanType.DAILY
W = InspectionPlanType.WEEKLY
M = InspectionPlanType.MONTHLY


# ------------------------------------------------------------------------ builders


def register(
    session: Session, ent: int, dept: int, *, tag: str = "A", points: int = 2
) -> dict[str, Any]:
    """A risk unit in its own area with ``points`` points, two measures each (engineering
    and PPE), written directly: these tests are about inspection, not scoring."""
    area = Area(name=f"空压站{tag}", enterprise_id=ent, department_id=dept)
    session.add(area)
    session.flush()
    unit = RiskUnit(
        name=f"{tag}区1#空压机", code=f"RU-{tag}", enterprise_id=ent, department_id=dept,
        area_id=area.id,
    )  # fmt: skip
    session.add(unit)
    session.flush()
    made = []
    for i, level in zip(
        range(points), (RiskLevel.MAJOR, RiskLevel.GENERAL, RiskLevel.LOW), strict=False
    ):
        point = RiskPoint(
            unit_id=unit.id, name=f"{tag}储气罐{i + 1}", code=f"RP-{tag}-{i + 1}",
            hazard_factors="超压运行", enterprise_id=ent, department_id=dept, area_id=area.id,
            residual_level=level, current_level=level, inherent_level=level,
        )  # fmt: skip
        session.add(point)
        session.flush()
        made.append(point)
        add_measure(session, point, MeasureClass.PPE, "佩戴耳塞")
        add_measure(session, point, MeasureClass.ENGINEERING, "安全阀定期校验")
    return {"area": area, "unit": unit, "points": made}


def add_measure(session: Session, point: RiskPoint, cls: MeasureClass, text: str) -> RiskMeasure:
    measure = RiskMeasure(
        point_id=point.id, measure_class=cls, content=text, enterprise_id=point.enterprise_id,
        department_id=point.department_id,
    )  # fmt: skip
    session.add(measure)
    session.flush()
    return measure


def plan(session: Session, org: Org, **values: Any) -> InspectionPlan:
    row = InspectionPlan(
        **{"name": "空压站巡检", "enterprise_id": org.ent1, "department_id": org.dept_a,
           "plan_type": D, "starts_on": date(2026, 3, 1), **values}
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def tasks_of(session: Session, plan_id: int) -> list[date]:
    stmt = select(InspectionTask.due_date).where(InspectionTask.plan_id == plan_id)
    return sorted(session.exec(stmt).all())


def inspector(users: Users, org: Org) -> Actor:
    """inspector_a as linked to their person record 张伟 (department A)."""
    return replace(users.inspector_a, person_id=org.person_a)


# ------------------------------------------------------------------------ due dates


def _dates(kind: InspectionPlanType, start: date, until: date, **kw: Any) -> list[date]:
    return list(due_dates(kind, kw.pop("cycle", 1), start, kw.pop("ends", None), until, **kw))


def test_monthly_from_the_31st_falls_on_each_month_end() -> None:
    got = _dates(M, date(2028, 1, 31), date(2028, 5, 31))
    assert got == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30),
                   date(2028, 5, 31)]  # fmt: skip
    assert _dates(M, date(2027, 1, 31), date(2027, 3, 31))[1:] == [
        date(2027, 2, 28),
        date(2027, 3, 31),
    ]


def test_leap_day_plans() -> None:
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert _dates(M, date(2028, 2, 29), date(2028, 4, 30)) == [
        date(2028, 2, 29),
        date(2028, 3, 29),
        date(2028, 4, 29),
    ]
    assert date(2028, 2, 29) in _dates(D, date(2028, 2, 27), date(2028, 3, 1))
    assert len(_dates(D, date(2028, 2, 1), date(2028, 2, 29))) == 29


def test_weekly_special_and_end_date() -> None:
    assert _dates(W, date(2026, 3, 2), date(2026, 3, 31), cycle=7) == [
        date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23),
        date(2026, 3, 30),
    ]  # fmt: skip
    assert _dates(W, date(2026, 3, 2), date(2026, 3, 31), ends=date(2026, 3, 15)) == [
        date(2026, 3, 2),
        date(2026, 3, 9),
    ]
    special = InspectionPlanType.SPECIAL
    assert _dates(special, date(2026, 3, 5), date(2027, 1, 1)) == [date(2026, 3, 5)]
    comprehensive = InspectionPlanType.COMPREHENSIVE
    assert len(_dates(comprehensive, date(2026, 1, 1), date(2026, 12, 30), cycle=91)) == 4
    assert _dates(D, date(2026, 3, 1), date(2026, 3, 5), after=date(2026, 3, 3)) == [
        date(2026, 3, 4),
        date(2026, 3, 5),
    ]
    assert _dates(M, date(2028, 1, 31), date(2028, 4, 30), after=date(2028, 2, 29)) == [
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


# ------------------------------------------------------------------------ generation


def test_generation_is_idempotent_and_snapshots_the_checklist(session, org, users) -> None:
    reg = register(session, org.ent1, org.dept_a, tag="G")
    sync = checklist_from_measures(session, SYSTEM, unit_id=reg["unit"].id)
    p = plan(session, org, checklist_id=sync.checklist.id, plan_type=M, starts_on=date(2028, 1, 31))
    generate_tasks(session, today=date(2028, 4, 1), horizon_days=0)
    assert tasks_of(session, p.id) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]
    again = generate_tasks(session, today=date(2028, 4, 1), horizon_days=0)
    assert again.tasks == 0 and len(tasks_of(session, p.id)) == 3
    first = session.exec(select(InspectionTask).where(InspectionTask.plan_id == p.id)).first()
    lines = session.exec(
        select(InspectionTaskItem).where(InspectionTaskItem.task_id == first.id)
    ).all()
    assert len(lines) == 4 and lines[0].content == sync_items(session, sync)[0].content
    item = sync_items(session, sync)[0]
    item.content = "改过的检查内容"
    session.add(item)
    session.flush()
    session.refresh(lines[0])
    assert lines[0].content != "改过的检查内容", "editing the checklist rewrote history"
    created = session.exec(
        select(func.count()).where(
            AuditEntry.table_name == "inspection_task", AuditEntry.action == "create"
        )
    ).one()
    assert created >= 3


def sync_items(session: Session, sync: Any) -> list[InspectionCheckItem]:
    stmt = select(InspectionCheckItem).where(InspectionCheckItem.checklist_id == sync.checklist.id)
    return list(session.exec(stmt.order_by(InspectionCheckItem.seq)))


def test_generation_respects_start_end_and_inactive(session, org) -> None:
    ended = plan(session, org, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 3))
    idle = plan(session, org, starts_on=date(2026, 3, 1), active=False)
    generate_tasks(session, today=date(2026, 3, 10), horizon_days=0, plan_ids=[ended.id, idle.id])
    assert tasks_of(session, ended.id) == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert tasks_of(session, idle.id) == []
    ahead = plan(session, org, plan_type=W, cycle_days=7, starts_on=date(2026, 3, 2))
    generate_tasks(session, today=date(2026, 3, 10), plan_ids=[ahead.id])  # 7 days ahead
    assert tasks_of(session, ahead.id) == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]


def test_today_is_the_sites_calendar_day(session, org, settings) -> None:
    """00:30 on 1 March in Shanghai is still 28 February in UTC: the 1 March round is due."""
    p = plan(session, org, starts_on=date(2026, 2, 27))
    moment = datetime(2026, 3, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert moment.astimezone(UTC).date() == date(2026, 2, 28)
    with time_machine.travel(moment, tick=False):
        generate_tasks(session, horizon_days=0, plan_ids=[p.id])
    assert tasks_of(session, p.id)[-1] == date(2026, 3, 1)


def test_two_generators_at_once_make_each_round_once(empty_engine, monkeypatch) -> None:
    """Both read "nothing yet" before either writes; the unique key and the savepoint make
    the loser skip what the winner created."""
    with Session(empty_engine) as s:
        org = build_org(s)
        p = plan(s, org, starts_on=date(2026, 3, 1))
        s.commit()
        plan_id = p.id
    barrier = threading.Barrier(2, timeout=20)
    original = inspection_schedule._latest_due

    def latest_then_wait(session: Session, plan_ids: list[int]) -> dict[int, date]:
        found = original(session, plan_ids)
        barrier.wait()
        return found

    monkeypatch.setattr(inspection_schedule, "_latest_due", latest_then_wait)
    reports, errors = [], []

    def run() -> None:
        try:
            with Session(empty_engine) as s:
                reports.append(generate_tasks(s, today=date(2026, 3, 20), horizon_days=0))
                s.commit()
        except Exception as exc:  # reported below; a thread would swallow it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(empty_engine) as s:
        assert tasks_of(s, plan_id) == [date(2026, 3, d) for d in range(1, 21)]
    assert sorted(r.tasks for r in reports) == [0, 20]


# ------------------------------------------------------------------------ checklists


def test_checklist_from_measures_is_idempotent_and_appends(session, org, users) -> None:
    reg = register(session, org.ent1, org.dept_a, tag="C")
    first = checklist_from_measures(session, users.safety_head, unit_id=reg["unit"].id)
    assert first.created and first.added == 4
    items = sync_items(session, first)
    assert [i.seq for i in items] == [1, 2, 3, 4]
    assert items[0].content == "C储气罐1：安全阀定期校验", "engineering measures come first"
    of_unit = select(RiskMeasure.id).join(RiskPoint).where(RiskPoint.unit_id == reg["unit"].id)
    assert {i.measure_id for i in items} == set(session.exec(of_unit).all())
    again = checklist_from_measures(session, users.safety_head, unit_id=reg["unit"].id)
    assert (again.created, again.added, again.checklist.id) == (False, 0, first.checklist.id)
    add_measure(session, reg["points"][1], MeasureClass.TRAINING, "岗前培训考核合格")
    third = checklist_from_measures(session, users.safety_head, checklist_id=first.checklist.id)
    assert third.added == 1
    assert sync_items(session, first)[-1].seq == 5
    lists = session.exec(
        select(func.count()).where(InspectionChecklist.unit_id == reg["unit"].id)
    ).one()
    assert lists == 1


def test_checklist_uses_only_measures_in_scope(session, org, users) -> None:
    reg = register(session, org.ent1, org.dept_b, tag="S")
    with pytest.raises(PermissionDenied):
        checklist_from_measures(session, users.display, unit_id=reg["unit"].id)
    sync = checklist_from_measures(
        session, users.inspector_a, point_ids=[p.id for p in reg["points"]], name="越权检查表"
    )
    assert sync.added == 0, "department A's inspector listed department B's measures"


# ------------------------------------------------------------------------ doing a round


@pytest.fixture
def round_(session, org, users) -> dict[str, Any]:
    """A due round of a check-in plan, assigned to inspector_a's person."""
    reg = register(session, org.ent1, org.dept_a, tag="R")
    sync = checklist_from_measures(session, SYSTEM, unit_id=reg["unit"].id)
    p = plan(session, org, checklist_id=sync.checklist.id, assignee_id=org.person_a,
             checkin_required=True, starts_on=date(2026, 3, 2))  # fmt: skip
    generate_tasks(session, today=date(2026, 3, 2), horizon_days=0, plan_ids=[p.id])
    task = session.exec(select(InspectionTask).where(InspectionTask.plan_id == p.id)).one()
    lines = session.exec(
        select(InspectionTaskItem)
        .where(InspectionTaskItem.task_id == task.id)
        .order_by(InspectionTaskItem.seq)
    ).all()
    return {**reg, "task": task, "lines": lines, "actor": inspector(users, org)}


def test_submission_needs_check_in_and_every_line(session, round_) -> None:
    actor, task, lines = round_["actor"], round_["task"], round_["lines"]
    with pytest.raises(InspectionRefused) as refused:
        submit(session, actor, task.id)
    assert refused.value.key == "error.inspection_checkin_missing"
    with pytest.raises(InspectionRefused) as wrong:
        check_in(session, actor, task.id, code="RP-X-9")
    assert "空压站R" in wrong.value.message("zh-CN")
    check_in(session, actor, task.id, code="rp-r-2")
    assert task.checkin_location == "rp-r-2" and task.state == InspectionTaskState.IN_PROGRESS
    for line in lines[:-1]:
        tick(session, actor, line.id, result=CheckResult.PASS)
    with pytest.raises(InspectionRefused) as unticked:
        submit(session, actor, task.id)
    assert unticked.value.message("zh-CN") == "还有 1 项未检查（第 4 项起），请逐项确认后再提交"
    assert "1 line(s) not checked" in unticked.value.message("en")
    assert task.state == InspectionTaskState.IN_PROGRESS
    tick(session, actor, lines[-1].id, result="na")
    done = submit(session, actor, task.id)
    assert (done.state, done.result, done.issues_found) == (
        InspectionTaskState.DONE,
        InspectionResult.OK,
        0,
    )
    assert done.done_at is not None
    with pytest.raises(InspectionRefused):
        tick(session, actor, lines[0].id, result="fail", remark="事后改")


def test_others_cannot_work_my_round(session, round_, users, org) -> None:
    task = round_["task"]
    other = replace(users.inspector_a, person_id=org.person_a2)
    with pytest.raises(PermissionDenied):
        check_in(session, other, task.id, area_id=round_["area"].id)
    check_in(session, users.safety_head, task.id, area_id=round_["area"].id)  # may approve


def test_failed_line_raises_a_hazard_on_its_point_and_round(session, round_, settings) -> None:
    from models.hazard import Hazard, HazardSource

    actor, task, lines = round_["actor"], round_["task"], round_["lines"]
    check_in(session, actor, task.id, area_id=round_["area"].id)
    from core.crud.service import ValidationFailed

    with pytest.raises(ValidationFailed):
        tick(session, actor, lines[0].id, result="fail", remark="  ")
    photo = _png()
    tick(
        session, actor, lines[0].id, result="fail", remark="安全阀铅封脱落", photo=("p.png", photo)
    )
    for line in lines[1:]:
        tick(session, actor, line.id, result="pass")
    done = submit(session, actor, task.id)
    assert (done.result, done.issues_found) == (InspectionResult.ISSUES, 1)
    hazard = session.exec(select(Hazard).where(Hazard.inspection_task_id == task.id)).one()
    assert hazard.risk_point_id == round_["points"][0].id
    assert hazard.source == HazardSource.INSPECTION
    assert hazard.area_id == round_["area"].id and "安全阀铅封脱落" in (hazard.description or "")
    session.refresh(lines[0])
    assert lines[0].hazard_id == hazard.id and lines[0].photo_id is not None


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


def test_my_list_overdue_and_todo(session, round_, users, org) -> None:
    actor, task = round_["actor"], round_["task"]
    today = date(2026, 3, 5)
    cards = my_tasks(session, actor, today=today)
    mine = next(c for c in cards if c.id == task.id)
    assert mine.days_late(today) == 3 and mine.checkin_required and not mine.checked_in
    assert mine.total == 4 and mine.ticked == 0
    late = session.exec(select(func.count()).where(overdue_clause(today))).one()
    assert late >= 1
    assert session.exec(select(func.count()).where(overdue_clause(date(2026, 3, 2)))).one() == 0
    todo = inspection_todo(session, actor, today)
    assert [i.key for i in todo] == ["todo.inspection_overdue"]
    assert inspection_todo(session, users.inspector_a, today) == []  # no person linked
    assert my_tasks(session, replace(actor, person_id=org.person_b), today=today) == []


# ------------------------------------------------------------------------ demo


def test_demo_rounds_agree_with_the_generator(demo_session, run_generator) -> None:
    from tests.modules.conftest import TODAY

    run_generator("risk")
    again = generate_tasks(demo_session, today=TODAY)
    assert again.tasks == 0, "the demo's rounds fall on other days than the plans say"
    open_lines = demo_session.exec(
        select(func.count())
        .select_from(InspectionTaskItem)
        .join(InspectionTask, InspectionTask.id == InspectionTaskItem.task_id)
        .where(InspectionTask.due_date == TODAY)
    ).one()
    assert open_lines > 0
    failed = demo_session.exec(
        select(func.count()).where(InspectionTaskItem.result == CheckResult.FAIL)
    ).one()
    issues = demo_session.exec(
        select(func.sum(InspectionTask.issues_found)).where(
            InspectionTask.id.in_(select(InspectionTaskItem.task_id).distinct())
        )
    ).one()
    assert failed == issues > 0


def test_cron_command_generates_once(settings, monkeypatch, capsys) -> None:
    """``safeloop inspections generate`` prints what it made; a second run makes nothing."""
    from sqlmodel import SQLModel

    from core import cli, migrate
    from core.db import get_engine

    engine = get_engine(settings)
    SQLModel.metadata.create_all(engine)
    monkeypatch.setattr(migrate, "upgrade", lambda _settings: None)  # schema built above
    with Session(engine) as s:
        org = build_org(s)
        plan(s, org, starts_on=date(2026, 3, 1), name="配电房日常巡检")
        s.commit()
    assert cli.main(["inspections", "generate", "--today", "2026-03-05", "--horizon", "0"]) == 0
    out = capsys.readouterr().out
    assert "5 round(s) due 2026-03-01 .. 2026-03-05" in out
    assert "inspection rounds created: 5 from 1 plan(s)" in out
    assert cli.main(["inspections", "generate", "--today", "2026-03-05", "--horizon", "0"]) == 0
    assert "inspection rounds created: 0 from 0 plan(s)" in capsys.readouterr().out
