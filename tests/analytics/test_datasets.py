"""The chart builder's queries over a register small enough to count by hand (2024, Shanghai =
UTC+8; "today" 2024-03-31, so "this year" is Q1), committed so that DuckDB can read it.

| id | found (local)       | ent | dept | cat.  | level   | state      | closed (local)  | cost |
|----|---------------------|-----|------|-------|---------|------------|-----------------|------|
| h1 | 01-05 Fri 10:00     | 1   | A    | A sub | general | closed     | 01-10 10:00     | 1000 |
| h2 | 01-20 Sat 10:00     | 1   | A    | A     | general | closed     | 01-23 22:00     | 500  |
| h3 | 03-03 Sun 10:00     | 1   | B    | B     | major   | rectifying |                 |      |
| h4 | 03-15 Fri 22:00     | 1   | B    | B     | general | reported   |                 |      |
| h5 | 2023-12-31 23:30    | 1   | A    | B     | general | reported   | (outside)       |      |
| h6 | 02-01 Thu 10:00     | 2   | —    | B     | general | reported   |                 |      |

Days to close: h1 5.0, h2 3.5. In this year the admin sees h1–h4 and h6; the safety head of
enterprise 1 h1–h4; inspector A (department A) h1, h2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics import datasets as dm
from analytics.duck import Connection, connect
from core.i18n import t
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardState
from models.org import Department
from tests.factories import Org, Users, serial

TODAY = date(2024, 3, 31)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Data:
    con: Connection
    cats: tuple[str, str]
    depts: tuple[str, str]


@pytest.fixture(scope="module")
def data(engine: Engine, world: tuple[Org, Users]) -> Iterator[Data]:
    org = world[0]
    n = serial()
    with Session(engine) as s:
        a = HazardCategory(code=f"A{n}", name=f"甲{n}", name_en=f"Alpha{n}")
        a_child = HazardCategory(code=f"A{n}01", name=f"甲子{n}", parent_code=f"A{n}")
        b = HazardCategory(code=f"B{n}", name=f"乙{n}", name_en=f"Beta{n}")
        s.add_all([a, a_child, b])
        s.flush()
        closed, a_, b_ = HazardState.CLOSED, org.dept_a, org.dept_b
        rows = [
            dict(found_at=utc(2024, 1, 5, 2), category_id=a_child.id, state=closed,
                 closed_at=utc(2024, 1, 10, 2), cost=1000.0, department_id=a_),
            dict(found_at=utc(2024, 1, 20, 2), category_id=a.id, state=closed,
                 closed_at=utc(2024, 1, 23, 14), cost=500.0, department_id=a_),
            dict(found_at=utc(2024, 3, 3, 2), category_id=b.id, level=HazardLevel.MAJOR,
                 state=HazardState.RECTIFYING, department_id=b_),
            dict(found_at=utc(2024, 3, 15, 14), category_id=b.id, department_id=b_),
            dict(found_at=utc(2023, 12, 31, 15, 30), category_id=b.id, department_id=a_),
            dict(found_at=utc(2024, 2, 1, 2), category_id=b.id, enterprise_id=org.ent2),
        ]  # fmt: skip
        for values in rows:
            values.setdefault("enterprise_id", org.ent1)
            s.add(Hazard(number=f"D-{serial():06d}", title="t", **values))
        s.commit()
        cats = (a.name, b.name)
        depts = (s.get(Department, a_).name, s.get(Department, b_).name)
    con = connect(engine.url.render_as_string(hide_password=False))
    yield Data(con, cats, depts)
    con.close()


def _chart(data: Data, actor, **spec) -> pl.DataFrame:
    spec.setdefault("window", "ytd")
    chart = dm.ChartSpec("hazards", **spec)
    return dm.chart_data(data.con, actor, chart, today=TODAY).frame


def _pairs(frame: pl.DataFrame) -> dict:
    return dict(zip(frame["x"].to_list(), frame["value"].to_list(), strict=True))


def test_count_by_month_fills_the_empty_month(data: Data, users: Users) -> None:
    admin = _chart(data, users.admin)
    assert _pairs(admin) == {date(2024, 1, 1): 2, date(2024, 2, 1): 1, date(2024, 3, 1): 2}
    head = _chart(data, users.safety_head)
    assert head["value"].to_list() == [2, 0, 2], "enterprise 2's February hazard is not theirs"


def test_categories_roll_up_to_their_top_level(data: Data, users: Users) -> None:
    frame = _chart(data, users.safety_head, x="category")
    assert _pairs(frame) == {data.cats[0]: 2, data.cats[1]: 2}


def test_english_labels_come_from_name_en(data: Data, users: Users) -> None:
    spec = dm.ChartSpec("hazards", x="category", window="ytd")
    frame = dm.chart_data(data.con, users.safety_head, spec, today=TODAY, lang="en").frame
    assert set(frame["x"]) == {f"Alpha{data.cats[0][1:]}", f"Beta{data.cats[1][1:]}"}


def test_averages_rates_and_sums(data: Data, users: Users) -> None:
    days = _chart(data, users.safety_head, measure="avg:rectify_days", kind="number")
    assert days["value"].to_list() == [pytest.approx(4.25)]
    rate = _chart(data, users.safety_head, measure="avg:closed_pct", kind="number")
    assert rate["value"].to_list() == [pytest.approx(50.0)], "2 of h1-h4 closed"
    cost = _pairs(_chart(data, users.safety_head, measure="sum:cost", x="department"))
    assert cost[data.depts[0]] == 1500.0
    longest = _chart(data, users.safety_head, measure="max:rectify_days", kind="number")
    assert longest["value"].to_list() == [pytest.approx(5.0)]


def test_a_number_over_no_rows_is_zero_for_counts_and_empty_for_averages(
    data: Data, users: Users
) -> None:
    far = date(2030, 1, 1)
    count = dm.ChartSpec("hazards", kind="number", window="30d")
    assert dm.chart_data(data.con, users.admin, count, today=far).frame["value"][0] == 0
    avg = dm.ChartSpec("hazards", "avg:rectify_days", kind="number", window="30d")
    assert dm.chart_data(data.con, users.admin, avg, today=far).frame["value"][0] is None


def test_weekday_and_hour_are_local_and_in_order(data: Data, users: Users) -> None:
    spec = dm.ChartSpec("hazards", x="weekday", window="ytd")
    days = dm.chart_data(data.con, users.admin, spec, today=TODAY, lang="en").frame
    assert _pairs(days) == {"Thu": 1, "Fri": 2, "Sat": 1, "Sun": 1}
    assert days["x"].to_list() == ["Thu", "Fri", "Sat", "Sun"]
    hours = _chart(data, users.admin, x="hour")
    assert _pairs(hours) == {10: 4, 22: 1}, "h4 was found at 22:00 in Shanghai"


def test_filters_and_colour_split(data: Data, users: Users) -> None:
    major = _chart(data, users.admin, x="department", filters=(("level", ("MAJOR",)),))
    assert _pairs(major) == {data.depts[1]: 1}
    split = _chart(data, users.safety_head, colour="level")
    general = t("enum.HazardLevel.general")
    march = split.filter(pl.col("x") == date(2024, 3, 1))
    assert dict(zip(march["colour"], march["value"], strict=True)) == {
        general: 1,
        t("enum.HazardLevel.major"): 1,
    }
    assert split.height == 3 * 2, "every month for both levels"


def test_department_scope_applies(data: Data, users: Users) -> None:
    inspector = _chart(data, users.inspector_a, x="department")
    assert _pairs(inspector) == {data.depts[0]: 2}
    values = dm.dimension_values(data.con, users.inspector_a, "hazards", "department", "zh-CN")
    assert [label for _, label in values] == [data.depts[0]]


def test_filter_choices_are_top_level_categories_and_every_level(data: Data, users: Users) -> None:
    cats = dict(dm.dimension_values(data.con, users.admin, "hazards", "category", "zh-CN"))
    assert {data.cats[0], data.cats[1]} <= set(cats.values())
    assert not any(label.startswith("甲子") for label in cats.values()), "no sub-categories"
    levels = dm.dimension_values(data.con, users.inspector_a, "hazards", "level", "en")
    assert levels == [("GENERAL", "General hazard"), ("MAJOR", "Major hazard")]


def test_a_dataset_outside_the_viewers_modules_is_refused(data: Data, users: Users) -> None:
    analyst_only = replace(users.inspector_a, grants=frozenset({("analytics", "view")}))
    assert "hazards" not in dm.available(analyst_only)
    with pytest.raises(dm.ChartRefused) as caught:
        dm.chart_data(data.con, analyst_only, dm.ChartSpec("hazards"), today=TODAY)
    assert caught.value.key == "chart.refused.module"


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ({"dataset": "nope"}, "chart.invalid.dataset"),
        ({"dataset": "hazards", "measure": "sum:deaths"}, "chart.invalid.measure"),
        ({"dataset": "hazards", "x": "camera"}, "chart.invalid.dimension"),
        ({"dataset": "hazards", "filters": {"level": []}}, "chart.invalid.filter"),
        ({"dataset": "hazards", "window": "forever"}, "chart.invalid.window"),
        ({"dataset": "hazards", "kind": "heatmap"}, "chart.invalid.heatmap"),
        ({"dataset": "hazards", "x": "level", "colour": "level"}, "chart.invalid.same_dimension"),
        ({"measure": "count"}, "chart.invalid.format"),
    ],
)
def test_stored_specs_are_checked(stored: dict, key: str) -> None:
    with pytest.raises(dm.InvalidChart) as caught:
        dm.ChartSpec.from_dict(stored)
    assert caught.value.key == key


def test_a_spec_survives_storage() -> None:
    spec = dm.ChartSpec("incidents", "sum:deaths", "accident_type", "period", "quarter", "3y",
                        (("kind", ("ACCIDENT", "MINOR")),), "bar")  # fmt: skip
    assert dm.ChartSpec.from_dict(spec.as_dict()) == spec


@pytest.mark.parametrize(
    ("window", "first"),
    [
        ("30d", date(2026, 11, 3)),
        ("90d", date(2026, 9, 4)),
        ("ytd", date(2026, 1, 1)),
        ("12m", date(2026, 1, 1)),
        ("3y", date(2024, 1, 1)),
    ],
)
def test_windows_end_today(window: dm.Window, first: date) -> None:
    assert dm.window_dates(window, date(2026, 12, 2)) == (first, date(2026, 12, 2))


def test_every_dataset_and_dimension_runs(data: Data, users: Users) -> None:
    for key, ds in dm.DATASETS.items():
        for x in ds.all_dimensions:
            spec = dm.ChartSpec(key, ds.measures[-1], x, window="3y")
            frame = dm.chart_data(data.con, users.admin, spec, today=TODAY).frame
            assert frame.columns == ["x", "value"], (key, x)
