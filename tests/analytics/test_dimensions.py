"""Two enterprises of the park each have a department called 生产部: a park-wide chart, trend
or filter must keep them apart (and name whose each is), while a user who sees only one of
them reads the plain name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics import datasets as dm
from analytics import trends
from analytics.dimensions import distinct_labels
from analytics.duck import Connection, connect
from models.hazard import Hazard
from models.org import Department, Enterprise
from tests.factories import Org, Users, serial

TODAY = date(2024, 3, 31)
SAME = "生产部"  # the name of enterprise 2's department in the test organisation


@pytest.fixture(scope="module")
def con(engine: Engine, world: tuple[Org, Users]) -> Iterator[tuple[Connection, str, str]]:
    org = world[0]
    with Session(engine) as s:
        twin = Department(enterprise_id=org.ent1, name=SAME)
        s.add(twin)
        s.flush()
        assert s.get(Department, org.dept_e2).name == SAME
        for enterprise, department, n in ((org.ent1, twin.id, 2), (org.ent2, org.dept_e2, 1)):
            for _ in range(n):
                s.add(
                    Hazard(
                        number=f"D-{serial():06d}",
                        title="同名部门",
                        enterprise_id=enterprise,
                        department_id=department,
                        found_at=datetime(2024, 3, 4, 2, tzinfo=UTC),
                    )
                )
        s.commit()
        names = (s.get(Enterprise, org.ent1).name, s.get(Enterprise, org.ent2).name)
    connection = connect(engine.url.render_as_string(hide_password=False))
    yield connection, *names
    connection.close()


def test_same_named_departments_stay_two_bars_named_by_enterprise(con, users: Users) -> None:
    connection, first, second = con
    spec = dm.ChartSpec("hazards", x="department", window="ytd")
    frame = dm.chart_data(connection, users.admin, spec, today=TODAY).frame
    bars = dict(zip(frame["x"].to_list(), frame["value"].to_list(), strict=True))
    assert bars[f"{SAME} · {first}"] == 2 and bars[f"{SAME} · {second}"] == 1
    assert SAME not in bars


def test_one_enterprise_alone_reads_the_plain_name(con, users: Users) -> None:
    connection, *_ = con
    spec = dm.ChartSpec("hazards", x="department", window="ytd")
    frame = dm.chart_data(connection, users.safety_head, spec, today=TODAY).frame
    assert SAME in frame["x"].to_list()
    offered = [
        label
        for _, label in dm.dimension_values(
            connection, users.safety_head, "hazards", "department", "zh-CN"
        )
    ]
    assert SAME in offered and not any(" · " in label for label in offered)


def test_filter_choices_and_trend_lines_keep_them_apart(con, users: Users) -> None:
    connection, first, second = con
    offered = dict(dm.dimension_values(connection, users.admin, "hazards", "department", "zh-CN"))
    assert {f"{SAME} · {first}", f"{SAME} · {second}"} <= set(offered.values())
    assert offered == dict(sorted(offered.items(), key=lambda pair: pair[1]))
    lines = trends.series(
        connection, users.admin, "hazards_found", "month", date(2024, 3, 1), TODAY, "department"
    )
    march = lines.filter(lines["count"] > 0)
    assert dict(zip(march["split"], march["count"], strict=True)) == {
        f"{SAME} · {first}": 2,
        f"{SAME} · {second}": 1,
    }


def test_labels_only_qualify_what_clashes() -> None:
    rows = [
        (1, "生产部", "甲厂"),
        (2, "生产部", "乙厂"),
        (3, "机修车间", "甲厂"),
        (4, "仓库", None),
    ]
    assert distinct_labels(rows) == {
        1: "生产部 · 甲厂",
        2: "生产部 · 乙厂",
        3: "机修车间",
        4: "仓库",
    }
