"""The GIS permit view's data: which permits a day shows, where they sit, the location check,
the time slider, the filters and the data scope.

A small plant in enterprise 1 of the shared test organisation, built per test (rolled back).
Area A (department A) and area B (department B) are squares side by side; on DAY:

- ``inside``: department A, area A, recorded inside A, in progress 08:00–12:00;
- ``outside``: department A, declares area A but recorded inside B, approved 13:00–15:00;
- ``unplaced``: department B, area B, no position, closed 09:00–10:00 (type T2);
- ``old_running``: department A, suspended, planned five days before DAY;
- ``yesterday``: department B, closed, the day before; ``other``: enterprise 2, on DAY.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from analytics import permit_map
from analytics.permit_map import PermitFilter, day_start, hour_window
from core.geometry import inside
from core.i18n import catalogue, t
from core.rbac import Actor
from models.enums import Role, Scope
from models.org import Area
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests.factories import Org, Users, serial

DAY = datetime(2026, 3, 2).date()
AREA_A = [[0, 0], [40, 0], [40, 30], [0, 30]]
AREA_B = [[50, 0], [90, 0], [90, 30], [50, 30]]


@dataclass(frozen=True)
class Plant:
    t1: int
    t2: int
    inside: int
    outside: int
    unplaced: int
    old_running: int
    yesterday: int
    other: int


def _add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def _at(hours: float, day=DAY) -> datetime:
    return day_start(day) + timedelta(hours=hours)


@pytest.fixture
def plant(session: Session, org: Org) -> Plant:
    n = serial()
    t1 = _add(session, PermitType(code=f"Q{n}", name="测试动火作业", name_en="Test hot work"))
    t2 = _add(session, PermitType(code=f"R{n}", name="测试高处作业", name_en="Test height"))
    a = _add(session, Area(enterprise_id=org.ent1, department_id=org.dept_a, name="甲区",
                           polygon=AREA_A))  # fmt: skip
    b = _add(session, Area(enterprise_id=org.ent1, department_id=org.dept_b, name="乙区",
                           polygon=AREA_B))  # fmt: skip

    def permit(dept: int, area: Area | None, start: float, hours: float, state, **values) -> int:
        defaults = {
            "enterprise_id": org.ent1,
            "department_id": dept,
            "area_id": area.id if area else None,
            "number": f"PM{serial():08d}",
            "permit_type_id": t1.id,
            "location": "测试地点",
            "content": "测试作业",
            "planned_start": _at(start),
            "planned_end": _at(start + hours),
            "state": state,
        }
        return _add(session, Permit(**{**defaults, **values})).id

    return Plant(
        t1=t1.id,
        t2=t2.id,
        inside=permit(org.dept_a, a, 8, 4, PermitState.IN_PROGRESS, x=10.0, y=10.0),
        outside=permit(org.dept_a, a, 13, 2, PermitState.APPROVED, x=70.0, y=15.0),
        unplaced=permit(org.dept_b, b, 9, 1, PermitState.CLOSED, permit_type_id=t2.id),
        old_running=permit(org.dept_a, a, -5 * 24, 8, PermitState.SUSPENDED, x=20.0, y=20.0),
        yesterday=permit(org.dept_b, b, -15, 4, PermitState.CLOSED, x=60.0, y=10.0),
        other=permit(org.dept_e2, None, 9, 2, PermitState.IN_PROGRESS, enterprise_id=org.ent2),
    )


NOW = _at(10)  # DAY, 10:00 on site


def _ids(frame) -> set[int]:
    return set(frame["permit_id"].to_list())


def _markers(session, actor, lang="zh-CN", now=NOW, **filters):
    f = PermitFilter(filters.pop("enterprise_id", None) or 0, DAY, **filters)
    return permit_map.markers(session, actor, f, lang, now=now)


def _by_id(frame) -> dict[int, dict]:
    return {r["permit_id"]: r for r in frame.to_dicts()}


# --- the day's permits ----------------------------------------------------------------------


def test_today_shows_the_days_permits_and_the_running_ones(session, users: Users, org, plant):
    frame = _markers(session, users.admin, enterprise_id=org.ent1)

    assert _ids(frame) == {plant.inside, plant.outside, plant.unplaced, plant.old_running}
    assert frame["permit_id"][0] == plant.old_running, "earliest start first"
    rows = _by_id(frame)
    assert rows[plant.old_running]["running"] and not rows[plant.outside]["running"]
    assert rows[plant.inside]["type_label"] == "测试动火"


def test_a_past_day_leaves_out_what_runs_now(session, users: Users, org, plant) -> None:
    later = _at(10, DAY + timedelta(days=10))
    frame = _markers(session, users.admin, enterprise_id=org.ent1, now=later)

    assert _ids(frame) == {plant.inside, plant.outside, plant.unplaced}
    week = permit_map.markers(
        session,
        users.admin,
        PermitFilter(org.ent1, DAY - timedelta(days=6), DAY - timedelta(days=1)),
        "zh-CN",
        now=later,
    )
    assert _ids(week) == {plant.old_running, plant.yesterday}, "a range takes every day in it"


# --- placement and the location check --------------------------------------------------------


def test_location_check_and_placement(session, users: Users, org, plant) -> None:
    rows = _by_id(_markers(session, users.admin, enterprise_id=org.ent1))

    assert (rows[plant.inside]["check"], rows[plant.inside]["placed"]) == ("ok", True)
    assert (rows[plant.inside]["x"], rows[plant.inside]["y"]) == (10.0, 10.0)
    assert rows[plant.outside]["check"] == "outside"
    unplaced = rows[plant.unplaced]
    assert unplaced["check"] == "unknown" and not unplaced["placed"]
    assert inside(AREA_B, unplaced["x"], unplaced["y"]), "no position: a spot inside its area"
    again = _by_id(_markers(session, users.admin, enterprise_id=org.ent1))[plant.unplaced]
    assert (again["x"], again["y"]) == (unplaced["x"], unplaced["y"]), "deterministic"


def test_outside_lists_only_off_area_permits(session, users: Users, org, plant) -> None:
    frame = _markers(session, users.admin, enterprise_id=org.ent1)

    assert permit_map.outside(frame)["permit_id"].to_list() == [plant.outside]


def test_tips_say_what_matters_in_both_languages(session, users: Users, org, plant) -> None:
    zh = _by_id(_markers(session, users.admin, enterprise_id=org.ent1))
    en = _by_id(_markers(session, users.admin, "en", enterprise_id=org.ent1))

    tip = zh[plant.outside]["tip"]
    assert zh[plant.outside]["number"] in tip and "测试动火作业" in tip
    assert t("enum.PermitState.approved") in tip and t("permit_map.tip.outside") in tip
    assert "13:00" in tip and "甲区" in tip
    assert t("permit_map.tip.no_position") in zh[plant.unplaced]["tip"]
    assert "Test hot work" in en[plant.outside]["tip"] and "Approved" in en[plant.outside]["tip"]
    assert en[plant.inside]["type_label"] == en[plant.inside]["type_code"]
    assert not any("⟦" in r["tip"] for r in [*zh.values(), *en.values()])


# --- time slider ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "expected"),
    [
        (9, {"inside", "unplaced", "old_running"}),
        (13, {"outside"}),
        (20, set()),
    ],
)
def test_time_slider_picks_the_permits_of_the_hour(
    session, users: Users, org, plant, hour: int, expected: set[str]
) -> None:
    frame = _markers(session, users.admin, enterprise_id=org.ent1)
    shown = permit_map.during(frame, *hour_window(DAY, hour), now=NOW)

    assert _ids(shown) == {getattr(plant, name) for name in expected}


# --- filters -------------------------------------------------------------------------------


def test_filters_by_type_unit_and_state(session, users: Users, org, plant) -> None:
    by_type = _markers(session, users.admin, enterprise_id=org.ent1, type_ids=(plant.t2,))
    by_unit = _markers(session, users.admin, enterprise_id=org.ent1, department_ids=(org.dept_b,))
    by_state = _markers(
        session,
        users.admin,
        enterprise_id=org.ent1,
        states=(PermitState.IN_PROGRESS, PermitState.APPROVED),
    )

    assert _ids(by_type) == {plant.unplaced}
    assert _ids(by_unit) == {plant.unplaced}
    assert _ids(by_state) == {plant.inside, plant.outside}
    counts = permit_map.state_counts(_markers(session, users.admin, enterprise_id=org.ent1))
    assert counts[PermitState.SUSPENDED] == 1 and counts[PermitState.DRAFT] == 0


# --- scope ---------------------------------------------------------------------------------


def test_department_head_sees_only_their_department(session, users: Users, org, plant) -> None:
    head = Actor(
        user_id=None,
        username="dept_head_a",
        roles=frozenset({Role.DEPT_HEAD}),
        scope=Scope.DEPARTMENT,
        park_id=org.park,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
    )

    assert _ids(_markers(session, head, enterprise_id=org.ent1)) == {
        plant.inside,
        plant.outside,
        plant.old_running,
    }
    assert _ids(_markers(session, users.inspector_b, enterprise_id=org.ent1)) == {plant.unplaced}
    assert _markers(session, users.inspector_b, enterprise_id=org.ent2).is_empty()
    areas = permit_map.areas(session, head, org.ent1, "zh-CN")
    assert "乙区" not in areas["name"].to_list() and "甲区" in areas["name"].to_list()


def test_catalogues_have_the_same_permit_map_keys() -> None:
    def keys(lang: str) -> set[str]:
        return {k for k in catalogue(lang) if k.startswith("permit_map.")}

    assert keys("zh-CN") == keys("en")
    assert t("page.permit_map") == "作业票GIS视图"
    assert t("page.permit_map", "en") == "Permit map (GIS)"
