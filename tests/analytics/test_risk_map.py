"""The four-colour risk map: area colour, marker placement, filters and data scope.

A small plant in enterprise 1 of the shared test organisation, built per test (rolled back):

- A1 (department A, own level low): a general point of type T1 and a point of type T2 whose
  residual level is significant but whose current level was raised to major; an open hazard
  on it (category child of TOP), a closed one.
- A2 (department B, L-shaped, own level general): a low point (T1), a significant point (T1)
  with a position of its own; an open hazard with a position (category OTHER).
- A3 (department A, own level significant): no risk point at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from analytics import risk_map, risk_markers
from core.geometry import inside, label_point, spot
from core.i18n import t
from models.enums import RiskLevel
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardState
from models.org import Area
from models.reference import AccidentType
from models.risk_register import RiskPoint, RiskUnit
from tests.factories import Org, Users, serial

TODAY = date(2026, 3, 1)
SQUARE = [[0, 0], [40, 0], [40, 30], [0, 30]]
L_SHAPE = [[50, 0], [100, 0], [100, 60], [80, 60], [80, 20], [50, 20]]
SMALL = [[0, 40], [20, 40], [20, 60], [0, 60]]


@dataclass(frozen=True)
class Plant:
    a1: int
    a2: int
    a3: int
    p_general: int
    p_raised: int
    p_low: int
    p_placed: int
    t1: int
    t2: int
    top: int
    other: int
    h_open: int
    h_placed: int


def _add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def _point(session: Session, org: Org, unit: RiskUnit, area: Area, **values) -> int:
    values.setdefault("residual_level", values.get("current_level", RiskLevel.LOW))
    point = RiskPoint(
        enterprise_id=org.ent1,
        department_id=area.department_id,
        unit_id=unit.id,
        area_id=area.id,
        name=f"点{serial()}",
        **values,
    )
    return _add(session, point).id


def _hazard(session: Session, org: Org, area: Area, **values) -> int:
    n = serial()
    defaults = {
        "enterprise_id": org.ent1,
        "department_id": area.department_id,
        "area_id": area.id,
        "number": f"T-{n:06d}",
        "title": f"隐患{n}",
        "found_at": datetime(2026, 2, 1, tzinfo=UTC),
        "deadline": date(2026, 2, 20),
        "state": HazardState.RECTIFYING,
    }
    return _add(session, Hazard(**{**defaults, **values})).id


@pytest.fixture
def plant(session: Session, org: Org) -> Plant:
    n = serial()
    t1 = _add(session, AccidentType(code=f"X{n}a", name=f"类型一{n}", name_en="Type 1"))
    t2 = _add(session, AccidentType(code=f"X{n}b", name=f"类型二{n}", name_en="Type 2"))
    top = _add(session, HazardCategory(code=f"T{n}", name=f"顶级{n}"))
    child = _add(session, HazardCategory(code=f"T{n}01", name=f"子类{n}", parent_code=f"T{n}"))
    other = _add(session, HazardCategory(code=f"U{n}", name=f"其他{n}"))

    def area(name: str, dept: int, level: RiskLevel, polygon: list) -> Area:
        return _add(
            session,
            Area(enterprise_id=org.ent1, department_id=dept, name=name, risk_level=level,
                 polygon=polygon),
        )  # fmt: skip

    a1 = area("一号区", org.dept_a, RiskLevel.LOW, SQUARE)
    a2 = area("二号区", org.dept_b, RiskLevel.GENERAL, L_SHAPE)
    a3 = area("三号区", org.dept_a, RiskLevel.SIGNIFICANT, SMALL)
    unit = _add(session, RiskUnit(enterprise_id=org.ent1, department_id=org.dept_a, name="单元"))
    p_general = _point(
        session, org, unit, a1, current_level=RiskLevel.GENERAL, accident_type_id=t1.id
    )
    p_raised = _point(
        session,
        org,
        unit,
        a1,
        current_level=RiskLevel.MAJOR,
        residual_level=RiskLevel.SIGNIFICANT,
        current_reason="存在未闭环隐患",
        accident_type_id=t2.id,
    )
    p_low = _point(session, org, unit, a2, current_level=RiskLevel.LOW, accident_type_id=t1.id)
    p_placed = _point(
        session,
        org,
        unit,
        a2,
        current_level=RiskLevel.SIGNIFICANT,
        accident_type_id=t1.id,
        plan_x=90.0,
        plan_y=50.0,
    )
    h_open = _hazard(session, org, a1, risk_point_id=p_raised, category_id=child.id)
    _hazard(session, org, a1, state=HazardState.CLOSED, category_id=child.id)
    h_placed = _hazard(
        session,
        org,
        a2,
        category_id=other.id,
        plan_x=60.0,
        plan_y=10.0,
        deadline=date(2026, 3, 9),
        level=HazardLevel.MAJOR,
    )
    return Plant(
        a1.id, a2.id, a3.id, p_general, p_raised, p_low, p_placed, t1.id, t2.id, top.id,
        other.id, h_open, h_placed,
    )  # fmt: skip


def _by_area(frame) -> dict[int, dict]:
    return {r["area_id"]: r for r in frame.to_dicts()}


# --- geometry -------------------------------------------------------------------------------


@pytest.mark.parametrize("polygon", [SQUARE, L_SHAPE, [[0, 0], [10, 0], [5, 8]]])
def test_spot_is_inside_deterministic_and_spread(polygon: list) -> None:
    spots = [spot(polygon, key) for key in range(1, 301)]

    assert all(inside(polygon, x, y) for x, y in spots)
    assert spots == [spot(polygon, key) for key in range(1, 301)]
    assert len(set(spots)) > 290, "ids should not pile up on a few spots"


def test_label_of_an_l_shape_is_inside_it() -> None:
    x, y = label_point(L_SHAPE)

    assert inside(L_SHAPE, x, y)
    assert spot([[0, 0], [1, 1]], 5) == (None, None)


# --- areas ----------------------------------------------------------------------------------


def test_area_takes_the_highest_current_level_of_its_points(session, users: Users, org, plant):
    areas = _by_area(risk_map.areas(session, users.admin, risk_map.MapFilter(org.ent1), "zh-CN"))

    assert areas[plant.a1]["level"] == "major", "the raised point's current level wins"
    assert areas[plant.a2]["level"] == "significant"
    assert areas[plant.a3]["level"] == "significant", "no points: the area's own level"
    assert (areas[plant.a1]["n_major"], areas[plant.a1]["n_general"]) == (1, 1)
    assert (areas[plant.a1]["open_hazards"], areas[plant.a2]["open_hazards"]) == (1, 1)
    assert areas[plant.a1]["polygon"] == [[float(x), float(y)] for x, y in SQUARE]
    assert risk_map.level_counts(risk_map.areas(session, users.admin, risk_map.MapFilter(org.ent1),
                                                "zh-CN")) == {
        RiskLevel.MAJOR: 1, RiskLevel.SIGNIFICANT: 1, RiskLevel.GENERAL: 1, RiskLevel.LOW: 1,
    }  # fmt: skip


def test_area_tip_is_translated(session, users: Users, org, plant) -> None:
    areas = _by_area(risk_map.areas(session, users.admin, risk_map.MapFilter(org.ent1), "en"))

    tip = areas[plant.a1]["tip"]
    assert "一号区" in tip and t("enum.RiskLevel.major", "en") in tip
    assert t("risk_map.tip.open_hazards", "en", count=1) in tip


def test_accident_type_filter_recolours_areas(session, users: Users, org, plant) -> None:
    only_t2 = risk_map.MapFilter(org.ent1, accident_type_ids=(plant.t2,))
    areas = _by_area(risk_map.areas(session, users.admin, only_t2, "zh-CN"))

    assert areas[plant.a1]["level"] == "major"
    assert areas[plant.a2]["level"] is None, "points exist but none of this type: no colour"
    assert areas[plant.a3]["level"] == "significant"
    only_t1 = risk_map.MapFilter(org.ent1, accident_type_ids=(plant.t1,))
    assert (
        _by_area(risk_map.areas(session, users.admin, only_t1, "zh-CN"))[plant.a1]["level"]
        == "general"
    )


def test_level_filter_limits_markers_and_dims_areas(session, users: Users, org, plant) -> None:
    f = risk_map.MapFilter(org.ent1, levels=(RiskLevel.MAJOR,))
    areas = _by_area(risk_map.areas(session, users.admin, f, "zh-CN"))
    points = risk_markers.point_markers(session, users.admin, f, "zh-CN")

    assert points["point_id"].to_list() == [plant.p_raised]
    assert areas[plant.a1]["in_filter"] and not areas[plant.a2]["in_filter"]


# --- markers --------------------------------------------------------------------------------


def test_point_markers_sit_inside_their_area_or_at_their_position(
    session, users: Users, org, plant
) -> None:
    points = {
        r["point_id"]: r
        for r in risk_markers.point_markers(
            session, users.admin, risk_map.MapFilter(org.ent1), "zh-CN"
        ).to_dicts()
    }

    assert list(points)[:2] == [plant.p_raised, plant.p_placed], "most severe first"
    for pid in (plant.p_general, plant.p_raised):
        assert inside(SQUARE, points[pid]["x"], points[pid]["y"])
    assert inside(L_SHAPE, points[plant.p_low]["x"], points[plant.p_low]["y"])
    assert (points[plant.p_placed]["x"], points[plant.p_placed]["y"]) == (90.0, 50.0)
    raised = points[plant.p_raised]
    assert raised["raised"] and raised["open_hazards"] == 1
    assert "存在未闭环隐患" in raised["tip"] and not points[plant.p_general]["raised"]
    only_major = risk_markers.point_markers(
        session, users.admin, risk_map.MapFilter(org.ent1, levels=(RiskLevel.MAJOR,)), "zh-CN"
    )
    assert (only_major["x"][0], only_major["y"][0]) == (raised["x"], raised["y"])


def test_marker_limit_keeps_the_most_severe(session, users: Users, org, plant) -> None:
    points = risk_markers.point_markers(
        session, users.admin, risk_map.MapFilter(org.ent1), "zh-CN", limit=2
    )

    assert points["level"].to_list() == ["major", "significant"]


def test_hazard_markers_show_open_hazards_in_place(session, users: Users, org, plant) -> None:
    hazards = {
        r["hazard_id"]: r
        for r in risk_markers.hazard_markers(
            session, users.admin, risk_map.MapFilter(org.ent1), "zh-CN", TODAY
        ).to_dicts()
    }

    assert set(hazards) == {plant.h_open, plant.h_placed}, "closed hazards are not drawn"
    assert inside(SQUARE, hazards[plant.h_open]["x"], hazards[plant.h_open]["y"])
    assert (hazards[plant.h_placed]["x"], hazards[plant.h_placed]["y"]) == (60.0, 10.0)
    assert hazards[plant.h_open]["overdue"] and not hazards[plant.h_placed]["overdue"]
    assert "2026-02-20" in hazards[plant.h_open]["tip"]


def test_hazard_category_filter_takes_sub_categories(session, users: Users, org, plant) -> None:
    f = risk_map.MapFilter(org.ent1, hazard_category_ids=(plant.top,))
    hazards = risk_markers.hazard_markers(session, users.admin, f, "zh-CN", TODAY)
    areas = _by_area(risk_map.areas(session, users.admin, f, "zh-CN"))

    assert hazards["hazard_id"].to_list() == [plant.h_open]
    assert (areas[plant.a1]["open_hazards"], areas[plant.a2]["open_hazards"]) == (1, 0)


# --- scope ----------------------------------------------------------------------------------


def test_department_scoped_actor_sees_only_their_department(
    session, users: Users, org, plant
) -> None:
    f = risk_map.MapFilter(org.ent1)
    areas = risk_map.areas(session, users.inspector_a, f, "zh-CN")
    points = risk_markers.point_markers(session, users.inspector_a, f, "zh-CN")
    hazards = risk_markers.hazard_markers(session, users.inspector_a, f, "zh-CN", TODAY)

    assert set(areas["area_id"]) == {plant.a1, plant.a3}
    assert set(points["point_id"]) == {plant.p_general, plant.p_raised}
    assert set(hazards["hazard_id"]) == {plant.h_open}


def test_department_filter_and_other_enterprise(session, users: Users, org, plant) -> None:
    f = risk_map.MapFilter(org.ent1, department_id=org.dept_b)
    assert risk_map.areas(session, users.admin, f, "zh-CN")["area_id"].to_list() == [plant.a2]
    assert set(risk_markers.point_markers(session, users.admin, f, "zh-CN")["point_id"]) == {
        plant.p_low,
        plant.p_placed,
    }
    other = risk_map.MapFilter(org.ent2)
    assert risk_map.areas(session, users.admin, other, "zh-CN").is_empty()
    assert risk_map.areas(session, users.inspector_a, other, "zh-CN").is_empty()
