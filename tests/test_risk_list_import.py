"""A risk list as enterprises keep it (风险分级管控清单) imports into risk points (issue 18,
point 6): a merged title and a notes line on top, a two-line header (L / E / C / D under one
merged "作业条件危险性评价"), line breaks inside cells, full-width digits and "Ｅ＝６", the
unit and responsible-department columns merged down over their points, measures and the
serial number in columns that are not a point's. Its truly bad cells are reported by sheet
row and by the column as the file names it, and nothing is written until the file is clean."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.styles import Alignment
from sqlmodel import Session, func, select

from core.crud import excel
from core.crud.registry import get_spec
from core.i18n import t
from models.enums import RiskLevel
from models.risk_register import RiskPoint
from tests.factories import Org, Users, make

TITLE = "苏州精工机械有限公司安全风险分级管控清单"
COLUMNS = ["序号", "辨识单元", "风险点名称", "作业活动", "危险源", "可能导致的\n事故"]
LEC = ["L", "E", "C", "D"]
TAIL = ["风险\n等级", "管控措施", "责任单位", "责任人"]
FIRST_DATA_ROW = 5

#: (unit, department, [(point, activity, hazard, accident, L, E, C, measures)])
UNITS: list[tuple[str, str, list[tuple[Any, ...]]]] = [
    (
        "宽厚板热处理球磨机主传动",
        "机修车间",
        [
            (
                "减速机",
                "日常点检",
                "1.油位过低导致润滑不足，引发齿轮磨损；\n2.联轴器护罩缺失",
                "机械伤害",
                3,
                6,
                7,
                "两人以上，在护栏外点检\n定期加油",
            ),
            (
                "传动轴",
                "更换联轴器",
                "轴体磨损/变形；\n旋转部位外露",
                "机械伤害、物体打击",
                "３",
                "Ｅ＝６",
                "１５",
                "停机挂牌上锁\n设置防护罩",
            ),
            (
                "换辊小车",
                "换辊作业",
                "行走轮过度磨损，小车运行时晃动",
                "车辆伤害",
                1,
                3,
                15,
                "作业前检查行走轮",
            ),
            (
                "换辊油缸",
                "检修作业",
                "升降台动作卡顿，油缸泄漏",
                "机械伤害",
                1,
                2,
                7,
                "定期检查油缸密封",
            ),
        ],
    ),
    (
        "铸造车间熔炼区",
        "铸造车间",
        [
            (
                "中频感应电炉",
                "熔炼作业",
                "炉衬侵蚀穿炉，铁水遇水爆炸",
                "灼烫、其他爆炸",
                3,
                6,
                40,
                "定期测量炉衬厚度\n冷却水流量报警",
            ),
            ("浇注包", "浇注作业", "包体倾翻，铁水飞溅", "灼烫", 3, 6, 15, "浇注前检查包耳、吊具"),
            (
                "行车",
                "吊运铁水",
                "钢丝绳断丝超标，制动失灵",
                "起重伤害",
                1,
                6,
                40,
                "吊运前试闸\n专人指挥",
            ),
            (
                "砂处理线",
                "清理作业",
                "粉尘浓度超标",
                "其他伤害",
                6,
                6,
                3,
                "除尘器定期维护\n佩戴防尘口罩",
            ),
            (
                "熔炼配电室",
                "巡检",
                "带电体裸露，绝缘老化",
                "触电",
                1,
                3,
                15,
                "持证上岗，绝缘用具定期检验",
            ),
        ],
    ),
    (
        "机修车间焊接区",
        "机修车间",
        [
            (
                "电焊机",
                "焊接作业",
                "焊机外壳未接地，电缆破损",
                "触电、火灾",
                3,
                3,
                15,
                "焊机接地检查\n动火作业审批",
            ),
            (
                "气瓶存放点",
                "气瓶搬运",
                "氧气、乙炔瓶混放，无防倾倒措施",
                "火灾、其他爆炸",
                1,
                3,
                40,
                "分开存放，设置防倒链",
            ),
        ],
    ),
]


def risk_list(units: list[tuple[str, str, list[tuple[Any, ...]]]] = UNITS) -> bytes:
    """The list as a safety office lays it out in Excel."""
    wb = Workbook()
    ws = wb.active
    ws.title = "风险分级管控清单"
    width = len(COLUMNS) + len(LEC) + len(TAIL)
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.append(["编制部门：安全环保部", None, None, "评价方法：作业条件危险性分析法（LEC）"])
    ws.append([*COLUMNS, "作业条件危险性评价", None, None, None, *TAIL])
    ws.append([None] * len(COLUMNS) + LEC + [None] * len(TAIL))
    lec_col = len(COLUMNS) + 1
    ws.merge_cells(start_row=3, start_column=lec_col, end_row=3, end_column=lec_col + 3)
    for col in [*range(1, lec_col), *range(lec_col + 4, width + 1)]:
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    n = 0
    for unit, department, points in units:
        top = ws.max_row + 1
        for i, (point, activity, hazard, accident, lik, exp, con, measures) in enumerate(points):
            n += 1
            first = i == 0
            ws.append(
                [n, unit if first else None, point, activity, hazard, accident, lik, exp, con, None,
                 "一般风险", measures, department if first else None, None]
            )  # fmt: skip
        bottom = ws.max_row
        for col in (2, width - 1):  # the unit and its department, written once and merged
            ws.merge_cells(start_row=top, start_column=col, end_row=bottom, end_column=col)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def units(session: Session, org: Org) -> None:
    departments = {"机修车间": org.dept_a, "铸造车间": org.dept_b}
    for name, department, _ in UNITS:
        make(
            session,
            "risk_unit",
            name=name,
            enterprise_id=org.ent1,
            department_id=departments[department],
            kind="device",
        )


def run(session: Session, users: Users, data: bytes, lang: str = "zh-CN") -> excel.ImportReport:
    spec = get_spec("risk_point")
    return excel.import_rows(session, spec, users.safety_head, data, lang, filename="清单.xlsx")


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(RiskPoint)).one()


@pytest.mark.usefixtures("units")
def test_the_list_imports_every_point(session: Session, users: Users, org: Org) -> None:
    before = count(session)
    report = run(session, users, risk_list())
    assert report.ok, report.errors
    assert report.header_row == 4  # the line with L / E / C under the merged heading
    assert report.skipped == ["序号", "作业活动", "D", "风险等级", "管控措施"]
    assert report.created == 11 and count(session) == before + 11
    points = {p.name: p for p in session.exec(select(RiskPoint)).all()}
    shaft = points["传动轴"]  # "３", "Ｅ＝６", "１５": full-width, as typed in a Chinese IME
    assert (shaft.inherent_l, shaft.inherent_e, shaft.inherent_c, shaft.inherent_d) == (
        3,
        6,
        15,
        270,
    )
    assert shaft.residual_d == 270 and shaft.inherent_level == RiskLevel.SIGNIFICANT
    assert "\n旋转部位外露" in shaft.hazard_factors  # line breaks inside a cell are kept
    assert shaft.other_accident_types == "机械伤害、物体打击"
    # merged down: every point of the unit has the unit and its department
    casting = [points[n] for n in ("中频感应电炉", "浇注包", "行车", "砂处理线", "熔炼配电室")]
    assert {p.department_id for p in casting} == {org.dept_b}
    assert len({p.unit_id for p in casting}) == 1
    assert {p.enterprise_id for p in points.values()} == {org.ent1}


@pytest.mark.usefixtures("units")
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_truly_bad_cells_are_named_by_row_and_column(
    session: Session, users: Users, lang: str
) -> None:
    units = [(u, d, [list(p) for p in points]) for u, d, points in UNITS]
    units[0][2][2][4] = 7  # 换辊小车, sheet row 7: L = 7 is not on the LEC table
    units[1][2][1][5] = "经常"  # 浇注包, row 10: E in words
    units[2] = ("三号仓库", *units[2][1:])  # rows 14-15: a unit the register does not have
    before = count(session)
    data = risk_list([(u, d, [tuple(p) for p in ps]) for u, d, ps in units])
    report = run(session, users, data, lang)
    assert not report.ok and report.created == 0 and count(session) == before
    assert sorted((e.row, e.column) for e in report.errors) == [
        (7, "L"),
        (10, "E"),
        (14, "辨识单元"),
        (15, "辨识单元"),
    ]
    by_row = {e.row: e.message for e in report.errors}
    assert "7" in by_row[7] and "经常" in by_row[10] and "三号仓库" in by_row[14]
    assert by_row[10] == t("validation.not_number", lang, value="经常")


def test_unit_names_resolve_only_within_reach(session: Session, users: Users) -> None:
    """Without its units in the register the list is refused cell by cell, not half-read."""
    report = run(session, users, risk_list())
    assert not report.ok and report.created == 0
    assert {e.column for e in report.errors} == {"辨识单元"}
    assert {e.row for e in report.errors} == set(range(FIRST_DATA_ROW, FIRST_DATA_ROW + 11))
