"""Incident module: the art. 3 grade thresholds, numbering and near-miss rules, and the demo's
Heinrich pyramid with its investigations and corrective actions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import func, select

from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.demogen import MAIN_ENTERPRISE_CODE
from core.incident.flow import ANONYMOUS
from core.incident.rules import accident_grade, grade_rules, is_overdue
from core.rbac import SYSTEM
from models.incident import AccidentGrade, Incident, IncidentInvestigation, IncidentKind
from models.incident_action import CorrectiveAction, CorrectiveActionState
from models.org import Enterprise
from models.workflow import WorkflowEvent
from tests.modules.conftest import TODAY

M = 1_000_000


def test_grade_reference(demo_session) -> None:
    rows = {g.code: g for g in demo_session.exec(select(AccidentGrade))}
    assert len(rows) == 4
    assert (rows["especially_major"].min_deaths, rows["especially_major"].min_direct_loss) == (
        30,
        100 * M,
    )
    assert rows["major"].min_serious_injuries == 50 and rows["larger"].min_deaths == 3
    assert rows["general"].name == "一般事故"


@pytest.mark.parametrize(
    ("deaths", "serious", "loss", "grade"),
    [
        (0, 0, 0, "general"),
        (2, 9, 9_999_999, "general"),
        (3, 0, 0, "larger"),
        (9, 0, 0, "larger"),
        (10, 0, 0, "major"),
        (29, 0, 0, "major"),
        (30, 0, 0, "especially_major"),
        (0, 10, 0, "larger"),
        (0, 50, 0, "major"),
        (0, 100, 0, "especially_major"),
        (0, 0, 10 * M, "larger"),
        (0, 0, 50 * M, "major"),
        (0, 0, 100 * M, "especially_major"),
        (1, 60, 20 * M, "major"),  # the gravest criterion wins
    ],
)
def test_accident_grade_boundaries(demo_session, deaths, serious, loss, grade) -> None:
    rule = accident_grade(deaths, serious, loss, grade_rules(demo_session))
    assert rule is not None and rule.code == grade


def test_form_computes_grade_and_number(demo_session) -> None:
    spec = get_spec("incident")
    raw = {"title": "测试事故", "kind": "accident", "occurred_at": "2026-03-05T08:00:00+00:00"}
    row = service.create_row(demo_session, spec, SYSTEM, raw | {"deaths": 3})
    assert demo_session.get(AccidentGrade, row.grade_id).code == "larger"
    assert row.number == "SG20260305-001"
    again = service.create_row(demo_session, spec, SYSTEM, raw | {"direct_loss": 500})
    assert again.number == "SG20260305-002"
    assert demo_session.get(AccidentGrade, again.grade_id).code == "general"
    service.update_row(demo_session, spec, SYSTEM, again.id, {"serious_injuries": 120})
    assert demo_session.get(AccidentGrade, again.grade_id).code == "especially_major"


def test_anonymous_only_for_near_misses(demo_session) -> None:
    spec = get_spec("incident")
    base = {"title": "险些坠物", "occurred_at": "2026-03-05T08:00:00+00:00", "anonymous": True}
    with pytest.raises(ValidationFailed):
        service.create_row(demo_session, spec, SYSTEM, base | {"kind": "accident"})
    with pytest.raises(ValidationFailed):
        service.create_row(demo_session, spec, SYSTEM, base | {"kind": "near_miss", "deaths": 1})
    row = service.create_row(
        demo_session, spec, SYSTEM, base | {"kind": "near_miss", "reporter": "张三"}
    )
    assert row.reporter is None and row.grade_id is None and row.number.startswith("WS")


def test_overdue_is_a_question_of_the_deadline() -> None:
    assert is_overdue(CorrectiveActionState.OPEN, date(2026, 11, 23), TODAY)
    assert not is_overdue(CorrectiveActionState.OPEN, TODAY, TODAY)
    assert not is_overdue(CorrectiveActionState.CLOSED, date(2026, 1, 1), TODAY)
    assert not is_overdue(CorrectiveActionState.IN_PROGRESS, None, TODAY)


def test_demo_pyramid(demo_session, run_generator) -> None:
    run_generator("incident")
    main = demo_session.exec(
        select(Enterprise.id).where(Enterprise.code == MAIN_ENTERPRISE_CODE)
    ).one()
    stmt = (
        select(Incident.kind, func.count())
        .where(Incident.enterprise_id == main)
        .group_by(Incident.kind)
    )
    counts = dict(demo_session.exec(stmt).all())
    assert counts[IncidentKind.NEAR_MISS] == 900 and counts[IncidentKind.MINOR] == 87
    assert 3 <= counts[IncidentKind.ACCIDENT] <= 6
    since = datetime(TODAY.year - 3, TODAY.month, TODAY.day, tzinfo=UTC)
    oldest = demo_session.exec(select(func.min(Incident.occurred_at))).one()
    assert oldest.replace(tzinfo=UTC) >= since
    grades = dict(
        demo_session.exec(
            select(AccidentGrade.code, func.count())
            .join(Incident, Incident.grade_id == AccidentGrade.id)
            .group_by(AccidentGrade.code)
        ).all()
    )
    assert grades["general"] >= 0.9 * sum(grades.values())
    injuries = demo_session.exec(
        select(func.count()).where(Incident.kind != IncidentKind.NEAR_MISS)
    ).one()
    investigations = demo_session.exec(select(func.count()).select_from(IncidentInvestigation))
    assert 0.8 * injuries <= investigations.one() <= injuries
    actions = demo_session.exec(select(CorrectiveAction)).all()
    assert any(is_overdue(a.state, a.deadline, TODAY) for a in actions)
    assert all(a.closed_at is not None for a in actions if a.state == CorrectiveActionState.CLOSED)


def test_same_seed_same_rows(demo_session, run_generator) -> None:
    def snapshot() -> list[tuple]:
        rows = demo_session.exec(select(Incident).order_by(Incident.id)).all()
        return [(r.number, r.title, r.kind, r.occurred_at, r.grade_id, r.state) for r in rows]

    nested = demo_session.begin_nested()
    first = run_generator("incident")
    one = snapshot()
    nested.rollback()
    assert run_generator("incident") == first
    assert snapshot() == one


def test_demo_histories_agree_with_the_states(demo_session, run_generator) -> None:
    """Every demo incident and action has the history its workflow would have written, and
    an anonymous near miss is linked to nobody."""
    run_generator("incident")
    for model, table in ((Incident, "incident"), (CorrectiveAction, "corrective_action")):
        last = dict(
            demo_session.exec(
                select(WorkflowEvent.row_id, WorkflowEvent.to_state)
                .where(WorkflowEvent.table_name == table)
                .order_by(WorkflowEvent.row_id, WorkflowEvent.ts, WorkflowEvent.id)
            ).all()
        )
        states = dict(demo_session.exec(select(model.id, model.state)).all())
        assert last and all(str(states[row]) == state for row, state in last.items())
    anonymous = demo_session.exec(
        select(Incident.created_by, WorkflowEvent.actor_id, WorkflowEvent.actor_name)
        .join(WorkflowEvent, WorkflowEvent.row_id == Incident.id)
        .where(Incident.anonymous, WorkflowEvent.table_name == "incident")
        .where(WorkflowEvent.action == "report")
    ).all()
    assert anonymous and set(anonymous) == {(None, None, ANONYMOUS)}
    verifying = demo_session.exec(
        select(CorrectiveAction).where(CorrectiveAction.state == CorrectiveActionState.VERIFYING)
    ).all()
    assert all(a.completion and a.completed_at for a in verifying)
