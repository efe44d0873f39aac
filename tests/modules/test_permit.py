"""Hazardous work permits (GB 30871-2022): reference lists, permit rules and demo data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, delete, func, select

from core.crud.registry import get_spec
from core.crud.service import ValidationFailed, create_row
from core.permit.rules import pick_limit, plant_day, validity_problem, within
from core.rbac import SYSTEM
from models.permit import Permit, PermitGasReading, PermitSignature, PermitState
from models.permit_reference import GasLimit, PermitGrade, PermitType
from models.workflow import WorkflowEvent
from tests.modules.conftest import RunGenerator

NUMBER = r"^(DH|SX|MB|GC|DZ|LD|DT|DL)\d{8}\d{3}$"


def _type(session: Session, code: str) -> PermitType:
    return session.exec(select(PermitType).where(PermitType.code == code)).one()


def _grade(session: Session, code: str) -> PermitGrade:
    return session.exec(select(PermitGrade).where(PermitGrade.code == code)).one()


def _permit(session: Session, type_code: str, grade_code: str | None, hours: float, **kw):
    start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 plant time
    raw = {
        "permit_type_id": _type(session, type_code).id,
        "grade_id": _grade(session, grade_code).id if grade_code else None,
        "location": "机修车间东侧",
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=hours)).isoformat(),
        "content": "管线焊接",
        **kw,
    }
    return create_row(session, get_spec("permit"), SYSTEM, raw)


def test_the_eight_types(demo_session: Session) -> None:
    types = demo_session.exec(select(PermitType).order_by(PermitType.code)).all()
    assert {t.code: t.name for t in types} == {
        "DH": "动火作业",
        "SX": "受限空间作业",
        "MB": "盲板抽堵作业",
        "GC": "高处作业",
        "DZ": "吊装作业",
        "LD": "临时用电作业",
        "DT": "动土作业",
        "DL": "断路作业",
    }
    assert {t.code for t in types if t.requires_gas_analysis} == {"DH", "SX"}


def test_grades_follow_the_standard(demo_session: Session) -> None:
    grades = {g.code: g for g in demo_session.exec(select(PermitGrade))}
    assert len(grades) == 15
    assert [grades[c].validity_hours for c in ("DH-T", "DH-1", "DH-2")] == [8, 8, 72]
    assert (grades["GC-1"].bound_min, grades["GC-1"].bound_max) == (2, 5)
    assert (grades["GC-T"].bound_min, grades["GC-T"].bound_max) == (30, None)
    assert (grades["DZ-1"].bound_min, grades["DZ-2"].bound_min, grades["DZ-3"].bound_max) == (
        100,
        40,
        40,
    )
    for code in ("SX", "MB", "LD", "DT", "DL"):
        assert sum(g.type_code == code for g in grades.values()) == 1


def test_measure_items_and_templates(demo_session: Session) -> None:
    from models.permit_reference import PermitMeasureItem, PermitTemplate

    items = demo_session.exec(select(PermitMeasureItem)).all()
    per_type = {c: sum(i.type_code == c for i in items) for c in {i.type_code for i in items}}
    assert len(per_type) == 8 and all(8 <= n <= 15 for n in per_type.values())
    templates = demo_session.exec(select(PermitTemplate)).all()
    assert len(templates) == 8 and all(t.is_default and t.approval_steps for t in templates)


def test_hot_work_gas_limits(demo_session: Session) -> None:
    limits = demo_session.exec(select(GasLimit).where(GasLimit.type_code == "DH")).all()
    high_lel = pick_limit(limits, "combustible", 5.0)  # methane, LEL 5 %
    low_lel = pick_limit(limits, "combustible", 2.1)  # propane, LEL 2.1 %
    assert (high_lel.max_value, low_lel.max_value) == (0.5, 0.2)
    assert pick_limit(limits, "combustible", None) is low_lel  # unknown medium: strictest
    assert within(high_lel, 0.4) and not within(low_lel, 0.4)
    assert all(lim.max_sample_age_min == 30 for lim in limits)


def test_confined_space_oxygen_and_ppm_conversion(demo_session: Session) -> None:
    limits = demo_session.exec(select(GasLimit).where(GasLimit.type_code == "SX")).all()
    oxygen = pick_limit(limits, "oxygen", None)
    assert (oxygen.min_value, oxygen.max_value) == (19.5, 21)
    assert within(oxygen, 20.9) and not within(oxygen, 19.0)
    h2s = pick_limit(limits, "h2s", None)
    assert h2s.max_value == 10 and h2s.unit == "mg_m3"
    assert within(h2s, 6.5, "h2s", "ppm") and not within(h2s, 7.5, "h2s", "ppm")  # 10 mg/m3 ≈ 7 ppm


def test_number_format_and_sequence(demo_session: Session) -> None:
    first = _permit(demo_session, "DH", "DH-1", 4)
    second = _permit(demo_session, "DH", "DH-1", 4)
    other = _permit(demo_session, "GC", "GC-2", 4)
    assert first.number == "DH20261124001" and second.number == "DH20261124002"
    assert other.number == "GC20261124001"
    assert first.state == PermitState.DRAFT


def test_number_uses_the_plant_calendar_day() -> None:
    assert plant_day(datetime(2026, 11, 23, 17, 0, tzinfo=UTC)) == date(2026, 11, 24)


def test_validity_window(demo_session: Session) -> None:
    _permit(demo_session, "DH", "DH-2", 72)  # 二级 hot work: up to 72 h
    with pytest.raises(ValidationFailed) as err:
        _permit(demo_session, "DH", "DH-1", 9)  # 一级: 8 h at most
    problem = err.value.problems[0]
    assert (problem.field, problem.key, problem.params) == (
        "planned_end",
        "validation.permit_validity_exceeded",
        {"hours": 8},
    )
    with pytest.raises(ValidationFailed):
        _permit(demo_session, "GC", "DH-1", 2)  # a hot-work grade on a height permit
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert validity_problem(start, start - timedelta(hours=1), 8).key.endswith("before_start")


def test_reading_judged_against_its_permit_type(demo_session: Session) -> None:
    permit = _permit(demo_session, "SX", None, 4)
    spec = get_spec("permit_gas_reading")
    base = {"permit_id": permit.id, "measured_at": "2026-11-24T00:40:00+00:00"}
    ok = create_row(demo_session, spec, SYSTEM, {**base, "gas": "oxygen", "value": 20.8})
    low = create_row(demo_session, spec, SYSTEM, {**base, "gas": "oxygen", "value": 18.0})
    assert (ok.within_limit, low.within_limit) == (True, False)
    assert ok.enterprise_id == permit.enterprise_id


def _snapshot(session: Session) -> list[tuple]:
    permits = session.exec(
        select(Permit.number, Permit.state, Permit.planned_start, Permit.area_id).order_by(
            Permit.id
        )
    ).all()
    readings = session.exec(
        select(PermitGasReading.gas, PermitGasReading.value).order_by(PermitGasReading.id)
    ).all()
    return [*permits, *readings]


def test_demo_counts_at_s(demo_session: Session, run_generator: RunGenerator) -> None:
    counts = run_generator("permit")
    assert counts["permit"] == 7500  # 2,500 a year for three years
    assert counts["permit_signature"] > counts["permit"] * 3
    numbers = demo_session.exec(select(Permit.number)).all()
    assert len(set(numbers)) == len(numbers)
    assert all(re.match(NUMBER, n) for n in numbers)
    states = dict(
        demo_session.exec(select(Permit.state, func.count()).group_by(Permit.state)).all()
    )
    assert states[PermitState.CLOSED] > 0.95 * 7500
    assert states[PermitState.IN_PROGRESS] >= 1 and states[PermitState.CANCELLED] >= 1
    readings = demo_session.exec(select(PermitGasReading.within_limit)).all()
    bad = sum(r is False for r in readings) / len(readings)
    assert 0.002 < bad < 0.03
    by_type = dict(
        demo_session.exec(
            select(PermitType.code, func.count())
            .join(Permit, Permit.permit_type_id == PermitType.id)
            .group_by(PermitType.code)
        ).all()
    )
    assert max(by_type, key=by_type.get) == "DH"
    rejected = demo_session.exec(
        select(func.count()).where(PermitSignature.decision == "reject")
    ).one()
    assert rejected == states[PermitState.REJECTED]


def test_demo_events_end_in_the_permit_state(
    demo_session: Session, run_generator: RunGenerator
) -> None:
    run_generator("permit")
    last: dict[int, str] = {}
    for row_id, to_state in demo_session.exec(
        select(WorkflowEvent.row_id, WorkflowEvent.to_state)
        .where(WorkflowEvent.table_name == "permit")
        .order_by(WorkflowEvent.ts, WorkflowEvent.id)
    ):
        last[row_id] = to_state
    assert len(last) > 2000  # the last year of permits has its state history
    states = dict(demo_session.exec(select(Permit.id, Permit.state)).all())
    assert all(states[pid] == state for pid, state in last.items())


def test_demo_is_deterministic(demo_session: Session, run_generator: RunGenerator) -> None:
    run_generator("permit")
    first = _snapshot(demo_session)
    for model in (PermitSignature, PermitGasReading, Permit):
        demo_session.exec(delete(model))
    run_generator("permit")
    assert _snapshot(demo_session) == first
