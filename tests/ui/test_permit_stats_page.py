"""The permit statistics page with AppTest: four tabs in both languages, the combined search,
the exports and printing one permit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import session_scope, utcnow
from models.enums import RiskLevel
from models.org import Area
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests.factories import Org, Users

PAGE = "pages/permit_stats.py"
TODAY_NUMBER = "DH-UI-0001"


@pytest.fixture(scope="module")
def permits(ui_world: tuple[Org, Users]) -> Org:
    """Two permits of department A running now (one of them outside its area), one last month
    in department B."""
    org, users = ui_world
    now = utcnow()
    with session_scope() as session:
        dh = PermitType(code="DH", name="动火作业", name_en="Hot work")
        gc = PermitType(code="GC", name="高处作业", name_en="Work at height")
        melt = Area(
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            name="熔炼区",
            polygon=[[0, 0], [10, 0], [10, 10], [0, 10]],
            risk_level=RiskLevel.MAJOR,
        )
        session.add_all([dh, gc, melt])
        session.flush()
        rows = [
            (TODAY_NUMBER, dh, org.dept_a, (5, 5), now - timedelta(hours=1)),
            ("GC-UI-0001", gc, org.dept_a, (50, 50), now - timedelta(hours=2)),
            ("DH-UI-0002", dh, org.dept_b, None, now - timedelta(days=30)),
        ]
        for number, kind, dept, xy, start in rows:
            session.add(
                Permit(
                    number=number,
                    permit_type_id=kind.id,
                    enterprise_id=org.ent1,
                    department_id=dept,
                    area_id=melt.id if dept == org.dept_a else None,
                    x=xy[0] if xy else None,
                    y=xy[1] if xy else None,
                    location="熔炼区东侧",
                    planned_start=start,
                    planned_end=start + timedelta(hours=6),
                    content="钢包支架焊接",
                    state=PermitState.IN_PROGRESS,
                    applicant_id=users.safety_head.user_id,
                )
            )
    return org


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.subheader, *at.caption, *at.markdown, *at.info)]
    parts += [m.label for m in at.metric] + [b.label for b in at.button]
    return "\n".join(str(p) for p in parts)


def _results(at: AppTest, number_header: str):
    return next(d.value for d in at.dataframe if number_header in d.value.columns)


def test_page_renders_in_chinese(open_page, permits: Org) -> None:
    at = open_page(PAGE, as_user="safety_head")
    assert not at.exception, at.exception
    assert at.title[0].value == "作业票统计与查询"
    assert [t.label for t in at.tabs] == ["今日作业", "月度趋势", "近三个月单位汇总", "综合查询"]
    assert next(m for m in at.metric if m.label == "今日作业票").value == "2"
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # by type, by unit, trend, units
    by_type = json.loads(charts[0].proto.spec)["data"][0]
    assert dict(zip(by_type["y"], by_type["x"], strict=True))["动火作业"] == 1
    assert "⟦" not in _texts(at)
    assert len(_results(at, "作业票编号")) == 3


def test_page_renders_in_english(open_page, permits: Org) -> None:
    at = open_page(PAGE, as_user="safety_head", lang="en")
    assert not at.exception, at.exception
    assert at.title[0].value == "Permit statistics & search"
    assert [t.label for t in at.tabs][-1] == "Search"
    text = _texts(at)
    assert "⟦" not in text and "Today's work by type" in text
    units = next(d.value for d in at.dataframe if "Outside area" in d.value.columns)
    row = units[units["Applying unit"] == "机修车间"].iloc[0]
    assert (row["Total"], row["OK"], row["Outside area"]) == (2, 1, 1)


def test_search_by_number_finds_one_and_prints_it(open_page, permits: Org) -> None:
    at = open_page(PAGE, as_user="safety_head")
    at.text_input(key="permit_stats_number").input("ui-0001").run()
    assert not at.exception, at.exception
    found = _results(at, "作业票编号")
    assert sorted(found["作业票编号"]) == ["DH-UI-0001", "GC-UI-0001"]
    at.text_input(key="permit_stats_number").input(TODAY_NUMBER).run()
    found = _results(at, "作业票编号")
    assert found["作业票编号"].tolist() == [TODAY_NUMBER]
    assert found["位置校验"].tolist() == ["正常"]

    at.button(key="permit_stats_exp_xlsx").click().run()
    assert not at.exception, at.exception
    assert at.get("download_button"), "no Excel download offered"

    with session_scope() as session:
        permit_id = session.exec(select(Permit.id).where(Permit.number == TODAY_NUMBER)).one()
    at.selectbox(key="permit_stats_print_id_zh-CN").set_value(permit_id).run()
    at.button(key="permit_stats_print").click().run()
    assert not at.exception, at.exception
    keys = [d.proto.id for d in at.get("download_button")]
    assert any("permit_stats_print_dl" in k for k in keys), keys


def test_without_export_permission_no_export(open_page, permits: Org) -> None:
    at = open_page(PAGE, as_user="inspector_a")
    assert not at.exception, at.exception
    assert "您没有作业票导出权限。" in _texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("permit_stats_exp")]
    assert set(_results(at, "作业票编号")["作业票编号"]) == {TODAY_NUMBER, "GC-UI-0001"}
