"""Hazards: reference lists, numbering, SLA deadlines, and a demo register that hangs together."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, func, select

from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.hazard.overdue import overdue_clause
from core.hazard.rules import default_deadline, format_number, timeline_problems
from core.rbac import SYSTEM
from models.hazard import (
    FINISHED_STATES,
    Hazard,
    HazardCategory,
    HazardLevel,
    HazardSla,
    HazardState,
)
from models.workflow import WorkflowEvent
from tests.modules.conftest import TODAY

FOUND = datetime(2026, 5, 6, 9, 30, tzinfo=UTC)


def _count(session: Session, *where) -> int:
    return session.exec(select(func.count()).select_from(Hazard).where(*where)).one()


# --- reference data -------------------------------------------------------------------------


def test_categories_have_ten_top_levels_with_children(demo_session: Session) -> None:
    rows = demo_session.exec(select(HazardCategory)).all()
    top = sorted(r.name for r in rows if r.parent_code is None)
    assert len(rows) == 45 and len(top) == 10
    assert {"设备设施", "作业环境", "人的不安全行为", "管理缺陷", "其他"} <= set(top)
    codes = {r.code for r in rows}
    assert all(r.parent_code in codes for r in rows if r.parent_code)


def test_sla_defaults_are_seven_and_thirty_days(demo_session: Session) -> None:
    days = dict(demo_session.exec(select(HazardSla.level, HazardSla.days)).all())
    assert days == {HazardLevel.GENERAL: 7, HazardLevel.MAJOR: 30}


# --- rules ----------------------------------------------------------------------------------


def test_number_format_sorts_as_text() -> None:
    assert format_number(2026, 123) == "YH-2026-000123"
    assert format_number(2026, 9) < format_number(2026, 10)


def test_timeline_must_run_forward() -> None:
    ok = {"found_at": FOUND, "rectified_at": FOUND + timedelta(days=1)}
    assert timeline_problems(ok) == []
    bad = {**ok, "verified_at": FOUND + timedelta(hours=2)}
    assert [p.field for p in timeline_problems(bad)] == ["verified_at"]


def test_default_deadline_counts_from_discovery_day() -> None:
    assert default_deadline(FOUND, 7) == date(2026, 5, 13)


def _create(session: Session, **values) -> Hazard:
    return service.create_row(session, get_spec("hazard"), SYSTEM, {"title": "测试隐患", **values})


def test_empty_deadline_comes_from_the_sla_table(demo_session: Session) -> None:
    major = _create(demo_session, found_at=FOUND, level="major")
    assert major.deadline == date(2026, 6, 5)
    sla = demo_session.exec(select(HazardSla).where(HazardSla.code == "general")).one()
    service.update_row(demo_session, get_spec("hazard_sla"), SYSTEM, sla.id, {"days": 3})
    general = _create(demo_session, found_at=FOUND)
    assert general.deadline == date(2026, 5, 9)
    given = _create(demo_session, found_at=FOUND, deadline="2026-05-20")
    assert given.deadline == date(2026, 5, 20)


def test_numbers_are_issued_in_sequence_per_year(demo_session: Session) -> None:
    first = _create(demo_session, found_at=FOUND)
    second = _create(demo_session, found_at=FOUND)
    other_year = _create(demo_session, found_at=FOUND.replace(year=2025))
    seq = int(first.number.rsplit("-", 1)[1])
    assert second.number == format_number(2026, seq + 1)
    assert other_year.number.startswith("YH-2025-")
    typed = _create(demo_session, number="YH-2026-900000", found_at=FOUND)
    assert typed.number == "YH-2026-900000"
    assert _create(demo_session, found_at=FOUND).number == "YH-2026-900001"


def test_rectified_before_found_is_refused(demo_session: Session) -> None:
    with pytest.raises(ValidationFailed) as err:
        _create(demo_session, found_at=FOUND, rectified_at="2026-05-01T08:00:00+00:00")
    assert err.value.problems[0].key == "validation.hazard_time_order"


def test_sub_category_needs_an_existing_parent(demo_session: Session) -> None:
    spec = get_spec("hazard_category")
    row = service.create_row(
        demo_session, spec, SYSTEM, {"code": "0105", "name": "设备锈蚀", "parent_code": "01"}
    )
    assert row.parent_code == "01"
    with pytest.raises(ValidationFailed):
        service.create_row(
            demo_session, spec, SYSTEM, {"code": "9901", "name": "孤儿类别", "parent_code": "99"}
        )


def test_overdue_is_a_query_over_deadline_and_state(demo_session: Session) -> None:
    late = _create(demo_session, found_at=FOUND, deadline="2026-05-10")
    _create(demo_session, found_at=FOUND, deadline="2026-12-31")
    done = _create(demo_session, found_at=FOUND, deadline="2026-05-10")
    done.state = HazardState.CLOSED
    demo_session.flush()
    ids = demo_session.exec(select(Hazard.id).where(overdue_clause(TODAY))).all()
    assert late.id in ids and done.id not in ids and len(ids) == 1


# --- demo -----------------------------------------------------------------------------------


def test_demo_at_s_writes_ten_thousand_two_hundred_hazards(
    demo_session: Session, run_generator
) -> None:
    counts = run_generator("hazard")
    assert counts["hazard"] == 10_200
    s = demo_session
    numbers = s.exec(select(Hazard.number)).all()
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"YH-20\d\d-\d{6}", n) for n in numbers)
    closed = Hazard.state == HazardState.CLOSED
    assert _count(s, closed) > 9_000
    assert _count(s, closed, col(Hazard.verified_at).is_(None)) == 0
    assert _count(s, closed, col(Hazard.rectified_at) > col(Hazard.verified_at)) == 0
    assert _count(s, closed, col(Hazard.verified_at) > col(Hazard.closed_at)) == 0
    evening = datetime.combine(TODAY, time(18, 0), tzinfo=UTC)
    assert _count(s, col(Hazard.closed_at) > evening) == 0
    assert _count(s, col(Hazard.found_at) > evening) == 0
    open_ = col(Hazard.state).not_in([st.value for st in FINISHED_STATES])
    assert 100 <= _count(s, open_) <= 600
    # every hazard has the history the workflow would have written, ending in its state
    last = (
        select(WorkflowEvent.row_id, WorkflowEvent.to_state, WorkflowEvent.action)
        .where(WorkflowEvent.table_name == "hazard")
        .order_by(WorkflowEvent.row_id, WorkflowEvent.ts, WorkflowEvent.id)
    )
    final: dict[int, tuple[str, str]] = {}
    for row_id, state, action in s.execute(last).all():
        final[row_id] = (state, action)
    assert counts["workflow_event"] > 3 * 10_200
    states = dict(s.exec(select(Hazard.id, Hazard.state)).all())
    assert {i: str(st) for i, st in states.items()} == {i: f[0] for i, f in final.items()}
    assert {f[1] for f in final.values() if f[0] == "closed"} == {"verify_pass"}
    assert _count(s, closed, col(Hazard.rectifier_id) == col(Hazard.verifier_id)) == 0
    assert _count(s, open_, col(Hazard.closed_at).is_not(None)) == 0
    assert 50 <= _count(s, overdue_clause(TODAY)) <= _count(s, open_)
    assert 150 <= _count(s, Hazard.level == HazardLevel.MAJOR) <= 300
    assert 400 <= _count(s, col(Hazard.repeat_of_id).is_not(None)) <= 650
    assert _count(s, col(Hazard.owner_id).is_(None)) == 0


def test_demo_categories_are_pareto_shaped(demo_session: Session, run_generator) -> None:
    run_generator("hazard")
    rows = demo_session.exec(
        select(HazardCategory.code, HazardCategory.parent_code, func.count())
        .join(Hazard, col(Hazard.category_id) == HazardCategory.id)
        .group_by(HazardCategory.id)
    ).all()
    top: Counter[str] = Counter()
    for code, parent, n in rows:
        top[parent or code] += n
    share = sum(n for _, n in top.most_common(3)) / sum(top.values())
    assert 0.65 <= share <= 0.75


def _snapshot(session: Session) -> list[tuple]:
    number_of = dict(session.exec(select(Hazard.id, Hazard.number)).all())
    skip = {"id", "created_at", "updated_at", "repeat_of_id"}
    rows = session.exec(select(Hazard).order_by(Hazard.number)).all()
    return [
        (
            *(v for k, v in r.model_dump().items() if k not in skip),
            number_of.get(r.repeat_of_id),
        )
        for r in rows
    ]


def test_demo_is_deterministic(demo_session: Session, run_generator) -> None:
    runs = []
    for _ in range(2):
        nested = demo_session.begin_nested()
        run_generator("hazard")
        runs.append(_snapshot(demo_session))
        nested.rollback()
    assert runs[0] == runs[1]
