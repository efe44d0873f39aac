"""Dynamic risk: open and recurring hazards flag a point's controls and raise its level.

Hazards are written as plain rows here (not through the hazard workflow) so these tests pin
the rules of ``core.risk.dynamic`` alone; the workflow only has to call ``refresh_point``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import Session, select

from core.cli import build_parser, cmd_risk_refresh
from core.config import get_settings
from core.crud import service
from core.crud.registry import get_spec
from core.db import utcnow
from core.rbac import SYSTEM
from core.risk.dynamic import (
    REPEAT_MIN_COUNT,
    REPEAT_WINDOW_DAYS,
    make_reason,
    reason_text,
    refresh_all,
    refresh_point,
)
from models.enums import RiskLevel
from models.hazard import Hazard, HazardState
from models.risk_register import RiskPoint
from models.system import AuditEntry
from tests.factories import Org, make

GENERAL_RESIDUAL = (3, 6, 7)  # D = 126: general
MAJOR_RESIDUAL = (10, 6, 15)  # D = 900: major
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def default_threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped threshold (2), whatever the environment says."""
    monkeypatch.delenv("SAFELOOP_DYNAMIC_RISK_THRESHOLD", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _point(session: Session, org: Org, residual: tuple[float, ...] = GENERAL_RESIDUAL) -> Any:
    unit = make(session, "risk_unit", name="动态单元", enterprise_id=org.ent1)
    l, e, c = residual  # noqa: E741
    return make(
        session,
        "risk_point",
        name="动态风险点",
        unit_id=unit.id,
        scoring="lec",
        **{"inherent_l": 10, "inherent_e": 6, "inherent_c": 15},
        **{"residual_l": l, "residual_e": e, "residual_c": c},
    )


def _hazard(
    session: Session, point: Any, state: HazardState = HazardState.REPORTED, **values: Any
) -> Hazard:
    hazard = Hazard(
        number=f"YH-T-{next(_numbers):06d}",
        title="测试隐患",
        enterprise_id=point.enterprise_id,
        risk_point_id=point.id,
        state=state,
        **values,
    )
    session.add(hazard)
    session.flush()
    return hazard


def _close(session: Session, *hazards: Hazard) -> None:
    for hazard in hazards:
        hazard.state = HazardState.CLOSED
        session.add(hazard)
    session.flush()


def _refreshed(session: Session, point: Any) -> RiskPoint:
    refresh_point(session, point.id)
    row = session.get(RiskPoint, point.id)
    session.refresh(row)
    return row


def _level_audits(session: Session, point: Any) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(
        AuditEntry.action == "risk_dynamic_level", AuditEntry.row_id == point.id
    )
    return list(session.exec(stmt.order_by(AuditEntry.seq)).all())


def test_one_open_hazard_flags_controls_but_keeps_the_level(session: Session, org: Org) -> None:
    point = _point(session, org)
    _hazard(session, point)
    row = _refreshed(session, point)
    assert row.controls_failing is True
    assert (row.current_level, row.current_reason) == (RiskLevel.GENERAL, None)
    assert _level_audits(session, point) == []


def test_threshold_raises_one_level_and_closing_restores(session: Session, org: Org) -> None:
    point = _point(session, org)
    first, second = _hazard(session, point), _hazard(session, point)
    row = _refreshed(session, point)
    assert (row.residual_level, row.current_level) == (RiskLevel.GENERAL, RiskLevel.SIGNIFICANT)
    assert row.controls_failing is True
    zh, en = reason_text(row.current_reason, "zh-CN"), reason_text(row.current_reason, "en")
    for text in (zh, en, row.current_reason):
        assert first.number in text and second.number in text
    assert "2 项未闭环隐患" in zh and "2 open hazards" in en
    (raised,) = _level_audits(session, point)
    assert raised.before["current_level"] == "general"
    assert raised.after["current_level"] == "significant"

    _close(session, first)
    row = _refreshed(session, point)
    assert (row.current_level, row.current_reason, row.controls_failing) == (
        RiskLevel.GENERAL,
        None,
        True,  # one still open
    )
    _close(session, second)
    row = _refreshed(session, point)
    assert (row.current_level, row.current_reason, row.controls_failing) == (
        RiskLevel.GENERAL,
        None,
        False,
    )
    assert [a.after["current_level"] for a in _level_audits(session, point)] == [
        "significant",
        "general",
    ]


def test_threshold_comes_from_settings(
    session: Session, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAFELOOP_DYNAMIC_RISK_THRESHOLD", "3")
    get_settings.cache_clear()
    assert get_settings().dynamic_risk_threshold == 3
    point = _point(session, org)
    _hazard(session, point), _hazard(session, point)
    assert _refreshed(session, point).current_level == RiskLevel.GENERAL
    _hazard(session, point)
    assert _refreshed(session, point).current_level == RiskLevel.SIGNIFICANT


def test_major_stays_major(session: Session, org: Org) -> None:
    point = _point(session, org, MAJOR_RESIDUAL)
    _hazard(session, point), _hazard(session, point)
    row = _refreshed(session, point)
    assert (row.residual_level, row.current_level) == (RiskLevel.MAJOR, RiskLevel.MAJOR)
    assert row.current_reason and row.controls_failing
    assert _level_audits(session, point) == []  # the level did not change


def test_rejected_voided_and_deleted_hazards_do_not_count(session: Session, org: Org) -> None:
    point = _point(session, org)
    _hazard(session, point, HazardState.REJECTED)
    _hazard(session, point, HazardState.VOIDED)
    _hazard(session, point, deleted_at=utcnow())
    _hazard(session, point, deleted_at=utcnow())
    row = _refreshed(session, point)
    assert (row.current_level, row.controls_failing) == (RiskLevel.GENERAL, False)


def test_recurring_hazards_flag_controls_until_the_window_passes(
    session: Session, org: Org
) -> None:
    point = _point(session, org)
    now = utcnow()
    for days in range(REPEAT_MIN_COUNT):
        _hazard(session, point, HazardState.CLOSED, found_at=now - timedelta(days=10 + days))
    row = _refreshed(session, point)
    assert (row.controls_failing, row.current_level) == (True, RiskLevel.GENERAL)
    with time_machine.travel(now + timedelta(days=REPEAT_WINDOW_DAYS), tick=False):
        assert _refreshed(session, point).controls_failing is False


def test_a_hazard_marked_as_a_repeat_flags_controls(session: Session, org: Org) -> None:
    point = _point(session, org)
    earlier = _hazard(session, point, HazardState.CLOSED, found_at=utcnow() - timedelta(days=400))
    _hazard(session, point, HazardState.CLOSED, repeat_of_id=earlier.id)
    assert _refreshed(session, point).controls_failing is True


def test_rescoring_keeps_a_raised_level_one_above_the_new_residual(
    session: Session, org: Org
) -> None:
    point = _point(session, org)
    _hazard(session, point), _hazard(session, point)
    assert _refreshed(session, point).current_level == RiskLevel.SIGNIFICANT
    spec = get_spec("risk_point")
    lowered = service.update_row(session, spec, SYSTEM, point.id, {"residual_l": 1})  # D = 42
    assert (lowered.residual_level, lowered.current_level) == (RiskLevel.LOW, RiskLevel.GENERAL)
    typed = service.update_row(session, spec, SYSTEM, point.id, {"current_level": "low"})
    assert typed.current_level == RiskLevel.GENERAL  # computed, not typed


def test_refresh_all_agrees_with_refresh_point(session: Session, org: Org) -> None:
    calm, flagged, raised = _point(session, org), _point(session, org), _point(session, org)
    _hazard(session, flagged)
    _hazard(session, raised), _hazard(session, raised)
    assert refresh_all(session) == 2
    session.expire_all()

    def state(point: Any) -> tuple[RiskLevel, bool, bool]:
        row = session.get(RiskPoint, point.id)
        return row.current_level, row.controls_failing, bool(row.current_reason)

    assert {p.id: state(p) for p in (calm, flagged, raised)} == {
        calm.id: (RiskLevel.GENERAL, False, False),
        flagged.id: (RiskLevel.GENERAL, True, False),
        raised.id: (RiskLevel.SIGNIFICANT, True, True),
    }
    assert len(_level_audits(session, raised)) == 1
    assert refresh_all(session) == 0  # nothing left to change


def test_reason_text_renders_stored_reasons() -> None:
    many = [f"YH-2026-{n:06d}" for n in range(1, 12)]
    text = reason_text(make_reason(many), "en")
    assert text.startswith("11 open hazards (YH-2026-000001, ") and "3 more" in text
    assert "YH-2026-000011" not in text
    assert reason_text("管理人员手工上调", "en") == "管理人员手工上调"  # older free text
    assert reason_text(None, "zh-CN") == ""


def test_cli_has_risk_refresh() -> None:
    args = build_parser().parse_args(["risk", "refresh"])
    assert args.func is cmd_risk_refresh
