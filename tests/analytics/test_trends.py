"""Trend series, heat map, Heinrich pyramid and Pareto over a register small enough to count by
hand (Q1 2024, Shanghai = UTC+8), committed so that DuckDB can read it.

| id | found (local)           | dept | area | cat.  | state      | deadline | closed (local) |
|----|-------------------------|------|------|-------|------------|----------|----------------|
| h1 | 01-05 Fri 10:00         | A    | X    | A sub | closed     | 01-10    | 01-10 23:00    |
| h2 | 01-20 Sat 10:00         | A    | X    | A     | closed     | 01-25    | 01-26 01:00    |
| h5 | 01-01 Mon 00:30         | A    | —    | C     | reported   |          |                |
| h3 | 03-03 Sun 10:00, major  | B    | Y    | B     | rectifying | 03-10    |                |
| h4 | 03-15 Fri 10:00         | B    | Y    | B     | rejected   |          |                |
| h6 | 2023-12-31 23:30        | A    | X    | B     | reported   |          | outside        |

Found per month 3, 0, 2 (February an empty gap); closed 2, 0, 0; overdue at deadline on
2024-04-01: h2 (closed late, January) and h3 (still open, March). Incidents in February: one
fatal accident, one other accident, two minor, three near misses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics import trends as tr
from analytics.duck import Connection, connect
from core.i18n import enum_label, t
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardState
from models.incident import Incident, IncidentKind
from models.org import Area, Department
from tests.factories import Org, Users, serial

START, END, TODAY = date(2024, 1, 1), date(2024, 3, 31), date(2024, 4, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Data:
    con: Connection
    cats: tuple[str, str, str]
    areas: tuple[str, str]
    depts: tuple[str, str]


@pytest.fixture(scope="module")
def data(engine: Engine, world: tuple[Org, Users]) -> Iterator[Data]:
    org = world[0]
    n = serial()
    with Session(engine) as s:
        a = HazardCategory(code=f"A{n}", name=f"甲{n}", name_en=f"Alpha{n}")
        a_child = HazardCategory(code=f"A{n}01", name=f"甲子{n}", parent_code=f"A{n}")
        b = HazardCategory(code=f"B{n}", name=f"乙{n}")
        c = HazardCategory(code=f"C{n}", name=f"丙{n}")
        x = Area(enterprise_id=org.ent1, department_id=org.dept_a, name=f"熔炼区{n}")
        y = Area(enterprise_id=org.ent1, department_id=org.dept_b, name=f"仓库{n}")
        s.add_all([a, a_child, b, c, x, y])
        s.flush()
        closed, dept_a, dept_b = HazardState.CLOSED, org.dept_a, org.dept_b
        rows = [
            dict(found_at=utc(2024, 1, 5, 2), category_id=a_child.id, state=closed,
                 deadline=date(2024, 1, 10), closed_at=utc(2024, 1, 10, 15), area_id=x.id),
            dict(found_at=utc(2024, 1, 20, 2), category_id=a.id, state=closed,
                 deadline=date(2024, 1, 25), closed_at=utc(2024, 1, 25, 17), area_id=x.id),
            dict(found_at=utc(2023, 12, 31, 16, 30), category_id=c.id),
            dict(found_at=utc(2024, 3, 3, 2), category_id=b.id, state=HazardState.RECTIFYING,
                 deadline=date(2024, 3, 10), level=HazardLevel.MAJOR, area_id=y.id,
                 department_id=dept_b),
            dict(found_at=utc(2024, 3, 15, 2), category_id=b.id, state=HazardState.REJECTED,
                 area_id=y.id, department_id=dept_b),
            dict(found_at=utc(2023, 12, 31, 15, 30), category_id=b.id, area_id=x.id),
        ]  # fmt: skip
        for values in rows:
            values.setdefault("department_id", dept_a)
            s.add(Hazard(enterprise_id=org.ent1, number=f"T-{serial():06d}", title="t", **values))
        kinds = [(IncidentKind.ACCIDENT, 1), (IncidentKind.ACCIDENT, 0)]
        kinds += [(IncidentKind.MINOR, 0)] * 2 + [(IncidentKind.NEAR_MISS, 0)] * 3
        for kind, deaths in kinds:
            s.add(
                Incident(
                    enterprise_id=org.ent1,
                    department_id=dept_a,
                    number=f"I-{serial():06d}",
                    title="i",
                    kind=kind,
                    deaths=deaths,
                    occurred_at=utc(2024, 2, 10, 2),
                )
            )
        s.commit()
        names = (a.name, b.name, c.name)
        areas = (x.name, y.name)
        depts = (s.get(Department, dept_a).name, s.get(Department, dept_b).name)
    con = connect(engine.url.render_as_string(hide_password=False))
    yield Data(con, names, areas, depts)
    con.close()


def _series(data: Data, users: Users, measure: str, grain: tr.Grain = "month", **kw):
    actor = kw.pop("actor", users.admin)
    return tr.series(data.con, actor, measure, grain, START, END, today=TODAY, **kw)


def test_monthly_counts_fill_the_empty_month(data: Data, users: Users) -> None:
    frame = _series(data, users, "hazards_found")

    assert frame["period"].to_list() == [date(2024, m, 1) for m in (1, 2, 3)]
    assert frame["count"].to_list() == [3, 0, 2], "h5 is 1 January in Shanghai, h6 is not"
    assert frame["split"].unique().to_list() == [t("trends.all")]


def test_split_by_department_is_exact_and_busiest_first(data: Data, users: Users) -> None:
    frame = _series(data, users, "hazards_found", split="department")
    a, b = data.depts

    assert frame["split"].to_list() == [a] * 3 + [b] * 3
    assert frame["count"].to_list() == [3, 0, 0, 0, 0, 2]


def test_split_by_category_level_and_area(data: Data, users: Users) -> None:
    cat = _series(data, users, "hazards_found", "quarter", split="category", lang="en")
    level = _series(data, users, "hazards_found", "quarter", split="level")
    area = _series(data, users, "hazards_found", "quarter", split="area")

    counts = dict(zip(cat["split"], cat["count"], strict=True))
    a, b, c = data.cats
    assert counts == {f"Alpha{a[1:]}": 2, b: 2, c: 1}, "children count for the parent, en name"
    general, major = (enum_label(v) for v in (HazardLevel.GENERAL, HazardLevel.MAJOR))
    assert dict(zip(level["split"], level["count"], strict=True)) == {general: 4, major: 1}
    expected = {data.areas[0]: 2, data.areas[1]: 2, t("trends.none"): 1}
    assert dict(zip(area["split"], area["count"], strict=True)) == expected


def test_closed_and_overdue_at_deadline(data: Data, users: Users) -> None:
    assert _series(data, users, "hazards_closed")["count"].to_list() == [2, 0, 0]
    overdue = _series(data, users, "hazards_overdue")
    assert overdue["count"].to_list() == [1, 0, 1], "h2 closed a day late, h3 still open"


def test_weeks_start_on_monday_and_cover_the_range(data: Data, users: Users) -> None:
    frame = _series(data, users, "hazards_found", "week")

    assert frame["period"][0] == date(2024, 1, 1) and frame["period"][-1] == date(2024, 3, 25)
    assert frame.height == 13
    assert frame["count"].sum() == 5
    by_week = dict(zip(frame["period"], frame["count"], strict=True))
    assert by_week[date(2024, 1, 1)] == 2 and by_week[date(2024, 1, 15)] == 1


def test_scope_narrows(data: Data, users: Users) -> None:
    mine = _series(data, users, "hazards_found", actor=users.inspector_b)
    outsider = _series(data, users, "hazards_found", actor=users.inspector_a, split="area")

    assert mine["count"].to_list() == [0, 0, 2], "inspector B sees department B only"
    assert data.areas[1] not in outsider["split"].to_list()


def test_a_measure_with_no_rows_is_all_zero(data: Data, users: Users) -> None:
    frame = _series(data, users, "permits")
    assert frame["count"].to_list() == [0, 0, 0]
    assert _series(data, users, "permits", split="area").is_empty()


def test_incidents_and_near_misses(data: Data, users: Users) -> None:
    assert _series(data, users, "incidents")["count"].to_list() == [0, 4, 0]
    assert _series(data, users, "near_misses")["count"].to_list() == [0, 3, 0]


def test_heinrich_pyramid(data: Data, users: Users) -> None:
    frame = tr.heinrich(data.con, users.admin, START, END)

    assert frame["tier"].to_list() == ["fatal", "serious", "minor", "near_miss"]
    assert frame["count"].to_list() == [1, 1, 2, 3]


def test_pareto(data: Data, users: Users) -> None:
    frame = tr.pareto(data.con, users.admin, START, END)
    a, b, c = data.cats

    assert frame["category"].to_list() == [b, a, c], "ties by name"
    assert frame["count"].to_list() == [2, 2, 1]
    assert frame["cumulative"].to_list() == [40.0, 80.0, 100.0]


def test_heatmap_uses_local_weekday_and_hour(data: Data, users: Users) -> None:
    frame = tr.heatmap(data.con, users.admin, START, END)
    cells = {(r["area"], r["weekday"], r["hour"]): r["count"] for r in frame.to_dicts()}
    x, y = data.areas

    assert cells == {
        (x, 4, 10): 1,  # h1, Friday
        (x, 5, 10): 1,  # h2, Saturday
        (t("trends.none"), 0, 0): 1,  # h5, Monday 00:30
        (y, 6, 10): 1,  # h3, Sunday
        (y, 4, 10): 1,  # h4, Friday
    }


@pytest.mark.parametrize("key", sorted(tr.MEASURES))
def test_every_measure_runs_with_every_split(data: Data, users: Users, key: str) -> None:
    for split in (None, *tr.MEASURES[key].splits):
        frame = _series(data, users, key, split=split)
        assert frame.columns == ["period", "split", "count"]
    for lang in ("zh-CN", "en"):
        assert not t(tr.MEASURES[key].label, lang).startswith("⟦")
