"""Emergency module: the supply categories, the seed plant's ledger and drill figures, and the
rules that derive supply status, plan review dates, drill states and statutory drill gaps."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.demogen import MAIN_ENTERPRISE_CODE
from core.emergency.rules import (
    drill_overdue,
    drill_state,
    is_expired,
    normalise_steps,
    review_due,
    stock_status,
    supplies_expired,
)
from core.rbac import SYSTEM
from models.emergency import EmergencyPlan, EmergencyPlanKind
from models.emergency_drill import Drill, DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyCategory, EmergencySupplyStatus
from models.org import Enterprise
from tests.modules.conftest import TODAY


def _main(session) -> int:
    return session.exec(select(Enterprise.id).where(Enterprise.code == MAIN_ENTERPRISE_CODE)).one()


def test_supply_categories_reference(demo_session) -> None:
    cats = {c.name: c for c in demo_session.exec(select(EmergencySupplyCategory))}
    assert len(cats) == 16
    for name in ("固定式报警仪", "便携式报警仪", "空气呼吸器", "担架", "急救箱", "自动苏生器"):
        assert name in cats
    assert cats["固定式报警仪"].code == "01" and cats["空气呼吸器"].unit == "套"


def test_supply_ledger_matches_the_seed_plant(demo_session, run_generator) -> None:
    run_generator("emergency")
    main = _main(demo_session)
    stmt = (
        select(EmergencySupplyCategory.name, func.count())
        .join(EmergencySupply, EmergencySupply.category_id == EmergencySupplyCategory.id)
        .where(EmergencySupply.enterprise_id == main)
        .group_by(EmergencySupplyCategory.name)
    )
    assert dict(demo_session.exec(stmt).all()) == {"固定式报警仪": 2180, "便携式报警仪": 508}
    expired = select(func.count()).where(
        EmergencySupply.enterprise_id == main, supplies_expired(TODAY)
    )
    assert demo_session.exec(expired).one() == 2
    totals = (
        select(EmergencySupplyCategory.name, func.sum(EmergencySupply.quantity))
        .join(EmergencySupply, EmergencySupply.category_id == EmergencySupplyCategory.id)
        .where(EmergencySupply.enterprise_id != main)
        .group_by(EmergencySupplyCategory.name)
    )
    assert dict(demo_session.exec(totals).all()) == {
        "空气呼吸器": 261,
        "担架": 77,
        "急救箱": 118,
        "自动苏生器": 9,
        "充填泵": 8,
        "氧气瓶": 101,
    }


def test_drills_follow_the_seed(demo_session, run_generator) -> None:
    run_generator("emergency")
    main = _main(demo_session)
    drills = demo_session.exec(select(Drill).where(Drill.enterprise_id == main)).all()
    by_year: dict[int, list[Drill]] = {}
    for d in drills:
        by_year.setdefault(d.planned_on.year, []).append(d)
    assert sorted(by_year) == [TODAY.year - 2, TODAY.year - 1, TODAY.year]
    assert all(len(v) == 10 for v in by_year.values())
    now = by_year[TODAY.year]
    assert sum(d.state == DrillState.HELD for d in now) == 4
    assert sum(d.scheme_done_on is not None for d in now) == 6
    assert sum(d.state == DrillState.EVALUATED for d in now) == 0
    assert sum(d.participants or 0 for d in now) == 144
    past = by_year[TODAY.year - 1] + by_year[TODAY.year - 2]
    assert all(d.state == DrillState.EVALUATED for d in past)
    plans = demo_session.exec(select(func.count()).where(EmergencyPlan.enterprise_id == main))
    assert plans.one() == 15


def test_same_seed_same_rows(demo_session, run_generator) -> None:
    def snapshot() -> list[tuple]:
        supplies = demo_session.exec(select(EmergencySupply).order_by(EmergencySupply.id))
        drills = demo_session.exec(select(Drill).order_by(Drill.id))
        return [(r.name, r.specification, r.area_id, r.expires_on, r.status) for r in supplies] + [
            (d.name, d.planned_on, d.state, d.participants) for d in drills
        ]

    nested = demo_session.begin_nested()
    first = run_generator("emergency")
    one = snapshot()
    nested.rollback()
    assert run_generator("emergency") == first
    assert snapshot() == one


@pytest.mark.parametrize(
    ("quantity", "min_stock", "status"),
    [(5, 2, EmergencySupplyStatus.NORMAL), (1, 2, EmergencySupplyStatus.LOW), (2, 2, "normal")],
)
def test_stock_status(quantity, min_stock, status) -> None:
    assert stock_status(quantity, min_stock) == status


def test_expired_is_asked_of_the_date() -> None:
    assert is_expired(date(2026, 11, 23), TODAY)
    assert not is_expired(TODAY, TODAY)
    assert not is_expired(None, TODAY)


def test_plan_review_every_three_years() -> None:
    assert review_due(date(2024, 2, 29)) == date(2027, 2, 28)
    assert review_due(date(2025, 6, 1)) == date(2028, 6, 1)
    assert review_due(None) is None


def test_statutory_drill_frequency() -> None:
    assert not drill_overdue(EmergencyPlanKind.SPECIAL, date(2026, 1, 10), TODAY)
    assert drill_overdue(EmergencyPlanKind.ON_SITE, date(2026, 1, 10), TODAY)
    assert drill_overdue(EmergencyPlanKind.SPECIAL, date(2026, 1, 10), TODAY, high_risk=True)
    assert drill_overdue(EmergencyPlanKind.COMPREHENSIVE, None, TODAY)


def test_drill_state_follows_dates() -> None:
    d = date(2026, 5, 1)
    assert drill_state(scheme_done_on=None, trained_on=None, held_on=None, evaluated_on=None) == (
        DrillState.PLANNED
    )
    assert drill_state(scheme_done_on=d, trained_on=d, held_on=d, evaluated_on=None) == (
        DrillState.HELD
    )


def test_checklist_steps_are_ordered_and_checked(demo_session) -> None:
    steps = normalise_steps([{"order": 2, "action": "上报"}, {"order": 1, "action": "报警"}])
    assert [s["action"] for s in steps or []] == ["报警", "上报"]
    assert normalise_steps([{"order": 1}]) is None
    spec = get_spec("response_checklist")
    with pytest.raises(ValidationFailed):
        service.create_row(demo_session, spec, SYSTEM, {"name": "火灾处置", "steps": [{"x": 1}]})
    row = service.create_row(demo_session, spec, SYSTEM, {"name": "火灾处置", "steps": ["报警"]})
    assert row.steps == [{"order": 1, "action": "报警"}]
