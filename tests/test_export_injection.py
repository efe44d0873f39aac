"""Every export is safe to open: text a spreadsheet would run as a formula or DDE call
(``=cmd|' /C calc'!A0``, ``+1``, ``-2+3``, ``@SUM(A1)``, a leading tab or CR) arrives as text
prefixed with ``'``, and numbers stay numbers (issue 18, point 2)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics import permit_stats as ps
from analytics import sql_console
from core.crud import excel
from core.crud.cells import DANGEROUS, read_cell, safe_cell
from core.crud.registry import get_spec
from core.crud.service import ListQuery
from core.reporting import permit_search, reports
from core.reporting.risk_control_list import ListFilter, export_workbook
from models.hazard import Hazard
from models.permit import Permit
from models.risk_register import RiskPoint
from tests.factories import Org, Users
from tests.modules.test_inspection import register
from tests.modules.test_permit_print import Printed, hot_work  # noqa: F401  (fixture)

CALC = "=cmd|' /C calc'!A0"
PAYLOADS = (CALC, "+1", "-2+3", "@SUM(A1)", "\tx", "\rx")


def xlsx_cells(data: bytes) -> list[Any]:
    """Every cell of every sheet, with its type checked: no formula anywhere."""
    values = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
                values.append(cell.value)
    return values


def csv_cells(data: bytes) -> list[str]:
    return [v for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for v in row]


def assert_neutral(values: Iterable[Any], payloads: Iterable[str] = PAYLOADS) -> None:
    """No text starts with a dangerous character, and each payload is there, quoted."""
    values = list(values)
    text = [v for v in values if isinstance(v, str)]
    assert not [v for v in text if v.startswith(DANGEROUS)]
    for payload in payloads:  # an xlsx reader turns a CR into LF (XML line ends)
        assert {"'" + payload, "'" + payload.replace("\r", "\n")} & set(text), payload


def test_the_rule() -> None:
    assert safe_cell(CALC) == "'" + CALC and safe_cell("-2+3") == "'-2+3"
    assert safe_cell(-5) == -5 and safe_cell(-5.5) == -5.5 and safe_cell(None) is None
    assert safe_cell("安全阀 -2") == "安全阀 -2" and safe_cell("'=x") == "'=x"
    assert all(read_cell(safe_cell(p)) == p for p in PAYLOADS)
    assert read_cell("'quoted") == "'quoted"  # a user's own quote is kept


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_list_export(session: Session, org: Org, users: Users, fmt: str) -> None:
    for n, payload in enumerate(PAYLOADS):
        session.add(Hazard(title=payload, number=f"INJ-{n}", enterprise_id=org.ent1))
    session.flush()
    data = excel.export(session, get_spec("hazard"), users.admin, ListQuery(), fmt, "zh-CN")
    assert_neutral(xlsx_cells(data) if fmt == "xlsx" else csv_cells(data))


def test_sql_console_exports(engine: Engine, users: Users) -> None:
    select = ", ".join(f"{sql_literal(p)} AS c{i}" for i, p in enumerate(PAYLOADS))
    sql = f'SELECT -5 AS n, {select}, 1 AS "@SUM(A1)"'  # a column name is a cell too
    frame = sql_console.run_query(engine, users.admin, sql).frame
    values = xlsx_cells(sql_console.export(frame, "xlsx"))
    width = len(PAYLOADS) + 2
    assert values[width] == -5  # the number, not the text '-5
    assert_neutral(values)
    cells = csv_cells(sql_console.export(frame, "csv"))
    assert cells[width] == "-5"  # CSV has no types: a plain number, no quote
    assert_neutral([*cells[:width], *cells[width + 1 :]])


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_risk_control_list(session: Session, org: Org, users: Users) -> None:
    made = register(session, org.ent1, org.dept_a, tag="X", points=1)
    point: RiskPoint = made["points"][0]
    point.name, point.hazard_factors = CALC, "@SUM(A1)"
    made["unit"].name = "-2+3"
    session.flush()
    data = export_workbook(session, users.safety_head, ListFilter(), "zh-CN")
    assert_neutral(xlsx_cells(data), (CALC, "@SUM(A1)", "-2+3"))


def test_permit_search(session: Session, hot_work: Printed, users: Users) -> None:  # noqa: F811
    permit = session.get(Permit, hot_work.permit)
    permit.content = CALC
    session.flush()
    data = permit_search.results_xlsx(session, users.admin, ps.PermitSearch(), "zh-CN")
    assert_neutral(xlsx_cells(data), (CALC,))


def test_report_workbook() -> None:
    section = reports.Section(
        "隐患", [reports.Column("单位", 20), reports.Column("数", 8, "int")], [[CALC, -5]]
    )
    report = reports.Report("monthly", "月报", "+1 公司", "2026-03", "2026-04-01", [section])
    values = xlsx_cells(reports.to_xlsx(report, "zh-CN"))
    assert -5 in values
    assert_neutral(values, (CALC,))
