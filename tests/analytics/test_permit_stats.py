"""Permit statistics on a register small enough to count by hand (today: 2026-03-15, Shanghai).

Areas: 熔炼区 (department A, major, square 0–10), 仓库 (B, low, square 20–30), 无轮廓区 (A, no
outline). Local times; "ok/out/?" is the location check.

| key | type | unit | area    | x, y   | planned start (local)   | state       | note              |
|-----|------|------|---------|--------|-------------------------|-------------|-------------------|
| p1  | DH   | A    | 熔炼区  | 5, 5   | 03-15 09:00             | in progress | ok                |
| p2  | DH   | A    | 熔炼区  | 50, 50 | 03-15 08:00             | approved    | out               |
| p3  | GC   | B    | 仓库    | 25, 25 | 03-14 09:00 → 03-16     | in progress | ok, runs today    |
| p4  | GC   | B    | 仓库    |        | 03-15 10:00             | cancelled   | not counted       |
| p5  | DH   | A    | 熔炼区  |        | 03-15 07:00             | draft       | not counted       |
| p6  | DH   | A    | 无轮廓  | 1, 1   | 03-14 08:00 → 12:00     | closed      | ?                 |
| p7  | GC   | A    | 熔炼区  |        | 01-10 09:00             | closed      | ?                 |
| p8  | DH   | B    | 仓库    | 0, 0   | 2025-12-10 09:00        | closed      | before 3 months   |
| p9  | DH   | A    |         |        | 2025-03-31 09:00        | closed      | before 12 months  |
| p10 | DH   | E2   |         |        | 03-15 09:00             | in progress | enterprise 2      |
| p11 | GC   | A    | 熔炼区  | 5, 5   | 03-14 14:00 → 03-15 14:00 | completed | done 03-14 18:00 |
| p12 | DH   | B    |         |        | 03-15 00:30 (UTC 03-14) | approved    | ?                 |
| p13 | DH   | A    | 熔炼区  | 50, 5  | 02-01 01:00 (UTC 01-31) | closed      | out               |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from analytics import permit_stats as ps
from models.enums import RiskLevel
from models.org import Area
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests.factories import Org, Users

TODAY = date(2026, 3, 15)
ZONE = "Asia/Shanghai"
SQUARE_A = [[0, 0], [10, 0], [10, 10], [0, 10]]
SQUARE_B = [[20, 20], [30, 20], [30, 30], [20, 30]]


def local(*args: int) -> datetime:
    """Shanghai wall-clock time as the UTC instant stored."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=8)


@dataclass(frozen=True)
class Register:
    ids: dict[str, int]
    types: dict[str, int]
    melt: int
    store: int


@pytest.fixture
def register(session: Session, org: Org, users: Users) -> Register:
    dh = PermitType(code="DH", name="动火作业", name_en="Hot work")
    gc = PermitType(code="GC", name="高处作业", name_en="Work at height")
    melt = Area(
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        name="熔炼区",
        polygon=SQUARE_A,
        risk_level=RiskLevel.MAJOR,
    )
    store = Area(
        enterprise_id=org.ent1,
        department_id=org.dept_b,
        name="仓库",
        polygon=SQUARE_B,
        risk_level=RiskLevel.LOW,
    )
    bare = Area(enterprise_id=org.ent1, department_id=org.dept_a, name="无轮廓区")
    session.add_all([dh, gc, melt, store, bare])
    session.flush()
    a, b, e2 = org.dept_a, org.dept_b, org.dept_e2
    s = PermitState
    admin, insp_a, insp_b = (
        users.admin.user_id,
        users.inspector_a.user_id,
        users.inspector_b.user_id,
    )
    head = users.safety_head.user_id
    rows = {
        "p1": ("DH20260315001", dh, a, melt, (5, 5), local(2026, 3, 15, 9), 8, s.IN_PROGRESS,
               admin),
        "p2": ("DH20260315002", dh, a, melt, (50, 50), local(2026, 3, 15, 8), 8, s.APPROVED,
               insp_a),
        "p3": ("GC20260314001", gc, b, store, (25, 25), local(2026, 3, 14, 9), 48, s.IN_PROGRESS,
               insp_b),
        "p4": ("GC20260315001", gc, b, store, None, local(2026, 3, 15, 10), 4, s.CANCELLED, head),
        "p5": ("DH20260315003", dh, a, melt, None, local(2026, 3, 15, 7), 4, s.DRAFT, head),
        "p6": ("DH20260314001", dh, a, bare, (1, 1), local(2026, 3, 14, 8), 4, s.CLOSED, head),
        "p7": ("GC20260110001", gc, a, melt, None, local(2026, 1, 10, 9), 4, s.CLOSED, head),
        "p8": ("DH20251210001", dh, b, store, (0, 0), local(2025, 12, 10, 9), 4, s.CLOSED, head),
        "p9": ("DH20250331001", dh, a, None, None, local(2025, 3, 31, 9), 4, s.CLOSED, head),
        "p10": ("DH20260315004", dh, e2, None, None, local(2026, 3, 15, 9), 8, s.IN_PROGRESS,
                admin),
        "p11": ("GC20260314002", gc, a, melt, (5, 5), local(2026, 3, 14, 14), 24, s.COMPLETED,
                head),
        "p12": ("DH20260315005", dh, b, None, None, local(2026, 3, 15, 0, 30), 4, s.APPROVED, head),
        "p13": ("DH20260201001", dh, a, melt, (50, 5), local(2026, 2, 1, 1), 4, s.CLOSED, head),
    }  # fmt: skip
    made: dict[str, Permit] = {}
    for key, (number, kind, dept, area, xy, start, hours, state, applicant) in rows.items():
        made[key] = Permit(
            number=number,
            permit_type_id=kind.id,
            enterprise_id=org.ent2 if dept == e2 else org.ent1,
            department_id=dept,
            area_id=area.id if area else None,
            x=xy[0] if xy else None,
            y=xy[1] if xy else None,
            location=f"{area.name if area else '厂区'}东侧",
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
            content=f"作业{key}",
            state=state,
            applicant_id=applicant,
            completed_at=local(2026, 3, 14, 18) if key == "p11" else None,
        )
    session.add_all(made.values())
    session.flush()
    return Register(
        {k: p.id for k, p in made.items()}, {"DH": dh.id, "GC": gc.id}, melt.id, store.id
    )


def _counts(frame, key: str) -> dict[str, int]:
    return {k: c for k, c in frame.select(key, "count").iter_rows() if c}


def test_today_by_type_and_unit(session: Session, register: Register, users: Users) -> None:
    by_type = ps.today_by_type(session, users.admin, TODAY, ZONE, "zh-CN")
    assert _counts(by_type, "code") == {"DH": 4, "GC": 1}  # p1 p2 p10 p12 · p3
    assert by_type["code"].to_list()[:2] == ["DH", "GC"]
    assert by_type.filter(by_type["code"] == "GC")["type"].item() == "高处作业"
    by_unit = ps.today_by_unit(session, users.admin, TODAY, ZONE, "zh-CN")
    assert _counts(by_unit, "unit") == {"机修车间": 2, "铸造车间": 2, "生产部": 1}
    states = ps.today_states(session, users.admin, TODAY, ZONE)
    assert states == {"in_progress": 3, "approved": 2}


def test_today_follows_the_scope(session: Session, register: Register, users: Users) -> None:
    head = ps.today_by_type(session, users.safety_head, TODAY, ZONE, "en")
    assert _counts(head, "code") == {"DH": 3, "GC": 1}  # enterprise 1 only: no p10
    assert head.filter(head["code"] == "DH")["type"].item() == "Hot work"
    dept_a = ps.today_by_unit(session, users.inspector_a, TODAY, ZONE, "zh-CN")
    assert _counts(dept_a, "unit") == {"机修车间": 2}


def test_monthly_trend(session: Session, register: Register, users: Users) -> None:
    frame = ps.monthly_trend(session, users.admin, TODAY, ZONE, "zh-CN")
    months = sorted(set(frame["month"]))
    assert months[0] == "2025-04" and months[-1] == "2026-03" and len(months) == 12
    assert frame.height == 24  # every month for both types, zeros included
    got = {(m, c): n for m, c, n in frame.select("month", "code", "count").iter_rows() if n}
    assert got == {
        ("2025-12", "DH"): 1,  # p8
        ("2026-01", "GC"): 1,  # p7
        ("2026-02", "DH"): 1,  # p13: 01-31 in UTC, February on site
        ("2026-03", "DH"): 5,  # p1 p2 p6 p10 p12; the draft p5 does not count
        ("2026-03", "GC"): 2,  # p3 p11; the cancelled p4 does not count
    }


def test_unit_totals_with_location_check(
    session: Session, register: Register, users: Users
) -> None:
    frame = ps.unit_locations(session, users.admin, TODAY, ZONE, "zh-CN")
    rows = {r["unit"]: r for r in frame.iter_rows(named=True)}
    assert rows["机修车间"] == {
        "unit": "机修车间",
        "total": 6,  # p1 p2 p6 p7 p11 p13
        "ok": 2,  # p1 p11
        "outside": 2,  # p2 p13
        "unknown": 2,  # p6 (no outline) p7 (no position)
    }
    assert rows["铸造车间"] == {"unit": "铸造车间", "total": 2, "ok": 1, "outside": 0, "unknown": 1}
    assert rows["生产部"]["total"] == 1
    assert frame["unit"].to_list()[0] == "机修车间"  # largest first
    head = ps.unit_locations(session, users.safety_head, TODAY, ZONE, "zh-CN")
    assert "生产部" not in head["unit"].to_list()


def test_months_back_clamps_to_the_month_end() -> None:
    assert ps.months_back(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert ps.months_back(date(2026, 3, 15), 3) == date(2025, 12, 15)
    assert ps.month_start(date(2026, 3, 15), 11) == date(2025, 4, 1)


def _numbers(session: Session, actor, **filters) -> set[str]:
    frame, total = ps.search(session, actor, ps.PermitSearch(zone=ZONE, **filters), "zh-CN")
    assert total == frame.height
    return set(frame["number"])


def test_search_filters(session: Session, register: Register, users: Users) -> None:
    admin = users.admin
    assert len(_numbers(session, admin)) == 13  # every state, drafts too
    gc = _numbers(session, admin, type_id=register.types["GC"])
    assert gc == {"GC20260314001", "GC20260315001", "GC20260110001", "GC20260314002"}
    assert len(_numbers(session, admin, number="20260315")) == 6
    assert _numbers(session, admin, number="dh2025") == {"DH20251210001", "DH20250331001"}
    major = _numbers(session, admin, area_level="major")
    assert len(major) == 6 and "DH20260315002" in major  # every permit in 熔炼区
    assert _numbers(session, admin, area_id=register.store) == {
        "GC20260314001",
        "GC20260315001",
        "DH20251210001",
    }
    assert _numbers(session, admin, applicant="inspector") == {"DH20260315002", "GC20260314001"}
    assert len(_numbers(session, admin, department_id=users.inspector_b.department_id)) == 4
    today = _numbers(session, admin, start_from=TODAY, start_to=TODAY)
    assert len(today) == 6 and "DH20260315005" in today  # 00:30 on site, still 03-14 in UTC
    assert _numbers(session, admin, states=("draft", "cancelled")) == {
        "DH20260315003",
        "GC20260315001",
    }
    combined = _numbers(
        session,
        admin,
        type_id=register.types["DH"],
        department_id=users.inspector_a.department_id,
        start_from=date(2026, 3, 1),
    )
    assert combined == {"DH20260315001", "DH20260315002", "DH20260315003", "DH20260314001"}


def test_search_pages_and_rows(session: Session, register: Register, users: Users) -> None:
    s = ps.PermitSearch(zone=ZONE)
    first, total = ps.search(session, users.admin, s, "en", page=1, page_size=5)
    third, _ = ps.search(session, users.admin, s, "en", page=3, page_size=5)
    assert total == 13 and first.height == 5 and third.height == 3
    assert first["number"][0] == "GC20260315001"  # latest planned start first
    assert third["number"][-1] == "DH20250331001"
    row = ps.search(session, users.admin, ps.PermitSearch(number="DH20260315002"), "en")[0]
    got = row.row(0, named=True)
    assert got["type"] == "Hot work" and got["state"] == "Approved"
    assert got["area"] == "熔炼区" and got["area_level"].startswith("Major")
    assert got["unit"] == "机修车间" and got["applicant"] == "inspector_a"
    assert got["location_check"] == "Outside area"
    assert got["planned_start"] == datetime(2026, 3, 15, 8, 0)  # site time


def test_search_follows_the_scope(session: Session, register: Register, users: Users) -> None:
    assert len(_numbers(session, users.safety_head)) == 12  # not p10 of enterprise 2
    dept_b = _numbers(session, users.inspector_b)
    assert dept_b == {"GC20260314001", "GC20260315001", "DH20251210001", "DH20260315005"}
    assert _numbers(session, users.inspector_b, number="DH20260315001") == set()
