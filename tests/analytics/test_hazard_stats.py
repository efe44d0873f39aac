"""Hazard analysis on a register small enough to count by hand (period: Q1 2026, Shanghai).

| id | found (local)       | cat.  | state      | deadline   | closed (local) | note          |
|----|---------------------|-------|------------|------------|----------------|---------------|
| h1 | 01-05 10:00         | A sub | closed     | 01-10      | 01-10 23:00    | on time, 3 d  |
| h2 | 01-20 10:00         | A     | closed     | 01-25      | 01-26 01:00    | late          |
| h3 | 02-03 10:00, major  | B     | rectifying | 02-10      |                | overdue       |
| h4 | 02-15 10:00         | B     | rejected   |            |                |               |
| h5 | 03-02 10:00         | C     | voided     |            |                |               |
| h6 | 03-10 10:00         | A     | closed     | 03-20      | 03-12 10:00    | repeats h1    |
| h8 | 01-01 00:30         | C     | reported   |            |                | UTC: Dec 31   |
| h7 | 2025-12-31 23:30    | B     | reported   |            |                | outside       |
| h9 | 2025-06-01, dept B  | B     | rectifying | 2025-06-10 |                | overdue, out  |

In the period: 7 found, 5 to rectify (h4 rejected, h5 voided left out), 3 closed → 60 %;
on time 2 of 3 → 66.7 %; time to rectify (3 + 5.625 + 1) / 3 → 3.2 days; 1 repeat → 14.3 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from analytics import hazard_stats as hs
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardState
from models.org import Area
from tests.factories import Org, Users, serial

TODAY = date(2026, 3, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Register:
    query: hs.HazardQuery
    numbers: dict[str, str]
    names: tuple[str, str, str]


@pytest.fixture
def register(session: Session, org: Org) -> Register:
    n = serial()
    a = HazardCategory(code=f"A{n}", name=f"甲{n}")
    a_child = HazardCategory(code=f"A{n}01", name=f"甲子{n}", parent_code=f"A{n}")
    b = HazardCategory(code=f"B{n}", name=f"乙{n}")
    c = HazardCategory(code=f"C{n}", name=f"丙{n}")
    x = Area(enterprise_id=org.ent1, department_id=org.dept_a, name=f"熔炼区{n}")
    y = Area(enterprise_id=org.ent1, department_id=org.dept_a, name=f"仓库{n}")
    session.add_all([a, a_child, b, c, x, y])
    session.flush()
    closed, rect = HazardState.CLOSED, HazardState.RECTIFYING
    rows = {
        "h1": dict(found_at=utc(2026, 1, 5, 2), category_id=a_child.id, state=closed,
                   deadline=date(2026, 1, 10), closed_at=utc(2026, 1, 10, 15),
                   rectified_at=utc(2026, 1, 8, 2), area_id=x.id),
        "h2": dict(found_at=utc(2026, 1, 20, 2), category_id=a.id, state=closed,
                   deadline=date(2026, 1, 25), closed_at=utc(2026, 1, 25, 17), area_id=x.id),
        "h3": dict(found_at=utc(2026, 2, 3, 2), category_id=b.id, state=rect,
                   deadline=date(2026, 2, 10), level=HazardLevel.MAJOR, area_id=y.id),
        "h4": dict(found_at=utc(2026, 2, 15, 2), category_id=b.id, state=HazardState.REJECTED,
                   area_id=y.id),
        "h5": dict(found_at=utc(2026, 3, 2, 2), category_id=c.id, state=HazardState.VOIDED,
                   area_id=y.id),
        "h6": dict(found_at=utc(2026, 3, 10, 2), category_id=a.id, state=closed,
                   deadline=date(2026, 3, 20), closed_at=utc(2026, 3, 12, 2),
                   rectified_at=utc(2026, 3, 11, 2), area_id=y.id),
        "h7": dict(found_at=utc(2025, 12, 31, 15, 30), category_id=b.id),
        "h8": dict(found_at=utc(2025, 12, 31, 16, 30), category_id=c.id),
        "h9": dict(found_at=utc(2025, 6, 1, 2), category_id=b.id, state=rect,
                   deadline=date(2025, 6, 10), department_id=org.dept_b),
    }  # fmt: skip
    made: dict[str, Hazard] = {}
    for key, values in rows.items():
        values.setdefault("department_id", org.dept_a)
        made[key] = Hazard(enterprise_id=org.ent1, number=f"S-{serial():06d}", title=key, **values)
        session.add(made[key])
    session.flush()
    made["h6"].repeat_of_id = made["h1"].id
    session.flush()
    query = hs.HazardQuery(date(2026, 1, 1), date(2026, 3, 31), enterprise_id=org.ent1)
    return Register(query, {k: h.number for k, h in made.items()}, (a.name, b.name, c.name))


def test_rates_match_the_hand_count(session, users: Users, register: Register) -> None:
    rates = hs.rates(session, users.admin, register.query)

    assert (rates.found, rates.counted, rates.closed) == (7, 5, 3)
    assert rates.closure_rate == 60.0
    assert (rates.on_time, rates.with_deadline, rates.on_time_rate) == (2, 3, 66.7)
    assert rates.avg_days == 3.2
    assert (rates.repeats, rates.repeat_rate) == (1, 14.3)


def test_pareto_sorts_and_accumulates(session, users: Users, register: Register) -> None:
    frame = hs.pareto(session, users.admin, register.query, "zh-CN")
    a, b, c = register.names

    assert frame["category"].to_list() == [a, *sorted([b, c])], "children count for the parent"
    assert frame["count"].to_list() == [3, 2, 2]
    assert frame["cumulative"].to_list() == [42.9, 71.4, 100.0]
    assert frame["share"].to_list() == [42.9, 28.6, 28.6]


def test_monthly_trend_uses_local_days(session, users: Users, register: Register) -> None:
    frame = hs.trend(session, users.admin, register.query, "month")

    assert frame["bucket"].to_list() == [date(2026, m, 1) for m in (1, 2, 3)]
    assert frame["total"].to_list() == [3, 2, 2], "h8 is 1 January in Shanghai"
    assert frame["major"].to_list() == [0, 1, 0]


def test_weekly_trend_starts_on_monday_and_has_every_week(
    session, users: Users, register: Register
) -> None:
    frame = hs.trend(session, users.admin, register.query, "week")

    assert frame["bucket"][0] == date(2025, 12, 29)
    assert frame["total"].sum() == 7 and frame.height == 14
    assert frame.filter(frame["bucket"] == date(2026, 1, 5))["total"].to_list() == [1]


def test_heatmap_has_every_month_per_area(session, users: Users, register: Register) -> None:
    frame = hs.area_heatmap(session, users.admin, register.query, "zh-CN")

    counts = {(r["area"].rstrip("0123456789"), r["month"]): r["count"] for r in frame.to_dicts()}
    assert frame.height == 9, "three areas (one is 'no area') × three months"
    assert counts[("熔炼区", "2026-01")] == 2 and counts[("熔炼区", "2026-03")] == 0
    assert counts[("仓库", "2026-03")] == 2
    assert frame["area"][0].startswith("仓库"), "busiest area first"


def test_overdue_list_ignores_the_period_but_not_the_scope(
    session, users: Users, register: Register
) -> None:
    frame, total = hs.overdue(session, users.admin, register.query, TODAY)

    assert total == 2
    assert frame["number"].to_list() == [register.numbers["h9"], register.numbers["h3"]]
    assert frame["days_overdue"].to_list() == [(TODAY - date(2025, 6, 10)).days, 19]
    frame, total = hs.overdue(session, users.inspector_a, register.query, TODAY)
    assert (frame["number"].to_list(), total) == ([register.numbers["h3"]], 1)


def test_repeats_name_the_original(session, users: Users, register: Register) -> None:
    frame = hs.repeats(session, users.admin, register.query)

    assert frame.to_dicts() == [
        {"number": register.numbers["h1"], "title": "h1", "area": frame["area"][0], "repeats": 1}
    ]
    assert frame["area"][0].startswith("熔炼区")


def test_department_filter_and_scope(session, users: Users, register: Register, org) -> None:
    dept_b = hs.HazardQuery(date(2025, 1, 1), date(2026, 3, 31), department_id=org.dept_b)
    assert hs.rates(session, users.admin, dept_b).found == 1
    assert hs.rates(session, users.inspector_b, register.query).found == 0
    assert hs.rates(session, users.employee_a, register.query).found == 0, "own scope"


def test_default_start_gives_twelve_months() -> None:
    assert hs.default_start(date(2026, 3, 15)) == date(2025, 4, 1)
    assert hs.default_start(date(2026, 12, 1)) == date(2026, 1, 1)
