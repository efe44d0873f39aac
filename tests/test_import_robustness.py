"""Imports of the files users really have (issue 18, point 6): two columns under one header
are refused naming both, a header without rows is refused, and title or blank rows above the
header are skipped, the report saying which row was taken as the header."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import Session, select

from core.crud import excel
from core.crud.cells import safe_cell
from core.i18n import t
from models.org import Person
from tests.factories import Users
from tests.test_excel import EN_HEADER, PERSON, ZH_HEADER, _count, people_rows, xlsx


def run(session: Session, users: Users, data: bytes, lang: str = "zh-CN") -> excel.ImportReport:
    return excel.import_rows(session, PERSON, users.admin, data, lang, filename="people.xlsx")


@pytest.mark.parametrize(
    ("lang", "header", "words"),
    [
        ("zh-CN", [*ZH_HEADER, "名称"], ("A", "H", "名称")),
        ("en", [*EN_HEADER[:3], "Name", *EN_HEADER[4:]], ("A", "D", "Name")),
        ("zh-CN", [*ZH_HEADER, "Name"], ("A", "H", "名称")),  # one field in both languages
    ],
)
def test_duplicated_headers_are_refused_naming_both_columns(
    session: Session, users: Users, lang: str, header: list[str], words: tuple[str, ...]
) -> None:
    before = _count(session)
    rows = [[*r, "其他"] for r in people_rows(2)]
    report = run(session, users, xlsx(header, rows), lang)
    assert not report.ok and report.created == 0 and _count(session) == before
    messages = [e.message for e in report.errors]
    assert any(all(w in m for w in words) for m in messages), messages
    if lang == "zh-CN":
        assert any("重复" in m for m in messages), messages


@pytest.mark.parametrize("blank_rows", [0, 3])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_header_without_rows_is_refused(
    session: Session, users: Users, lang: str, blank_rows: int
) -> None:
    before = _count(session)
    report = run(session, users, xlsx(ZH_HEADER, [[None] * 7] * blank_rows), lang)
    assert not report.ok and report.created == 0 and _count(session) == before
    assert [e.message for e in report.errors] == [t("import.no_rows", lang)]


def titled(rows: list[list[Any]], *, blank: int = 1) -> bytes:
    """A sheet as offices make it: a merged title row, blank rows, then the table."""
    wb = Workbook()
    ws = wb.active
    ws.append(["苏州精工机械有限公司人员清单"])
    ws.merge_cells("A1:G1")
    for _ in range(blank):
        ws.append([])
    ws.append(["单位：苏州精工", None, None, None, None, "制表日期：2026-03-01"])
    ws.append(ZH_HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_title_rows_above_the_header_are_skipped(session: Session, users: Users, lang: str) -> None:
    before = _count(session)
    report = run(session, users, titled(people_rows(3), blank=2), lang)
    assert report.ok, report.errors
    assert report.created == 3 and _count(session) == before + 3
    assert report.header_row == 5
    assert report.header_note(lang) == t("import.header_row", lang, row=5)


def test_errors_name_the_row_of_the_sheet(session: Session, users: Users) -> None:
    rows = people_rows(3)
    rows[1][4] = "未知"  # gender not an option: row 2 of the data, row 6 of the sheet
    report = run(session, users, titled(rows))
    assert not report.ok and {e.row for e in report.errors} == {6}


def test_no_header_anywhere_still_names_the_unknown_columns(session: Session, users: Users) -> None:
    report = run(session, users, xlsx(["甲", "乙"], [["1", "2"]]))
    assert not report.ok and {e.column for e in report.errors} >= {"甲", "乙"}


def test_quoted_text_of_an_export_imports_as_it_was(session: Session, users: Users) -> None:
    """Exports quote text starting with ``-`` or ``=`` (issue 18, point 2); import drops
    that quote again, and keeps a quote the user typed before harmless text."""
    rows = people_rows(2)
    rows[0][0], rows[1][0] = safe_cell("-王-"), "'王五"
    assert run(session, users, xlsx(ZH_HEADER, rows)).ok
    names = {p.name for p in session.exec(select(Person)).all()}
    assert {"-王-", "'王五"} <= names
