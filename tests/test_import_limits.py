"""Files that must not reach the parser, or not whole (issue 18, point 6): a zip bomb, a
workbook over the size or uncompressed-size limit, more rows than the limit; each refused with
a message naming the limit and nothing written. Merged cells in the body read as the sheet
shows them (their top-left value)."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, select

from core.config import load_settings
from core.crud import excel
from core.crud.sheets import Limits
from core.i18n import t
from models.org import Department, Person
from tests.factories import Users
from tests.test_excel import PERSON, ZH_HEADER, _count, people_rows, xlsx

SHEET = "xl/worksheets/sheet1.xml"


def with_sheet_xml(block: bytes, repeat: int) -> bytes:
    """A real workbook whose first sheet is the template's header followed by ``block``
    ``repeat`` times, streamed into the zip (the bomb is never held whole)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(ZH_HEADER, [])))
    head, tail = source.read(SHEET).split(b"</sheetData>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != SHEET:
                out.writestr(item, source.read(item))
        with out.open(SHEET, "w", force_zip64=True) as fh:
            fh.write(head)
            for _ in range(repeat):
                fh.write(block)
            fh.write(b"</sheetData>" + tail)
    return buf.getvalue()


def zip_bomb(rows: int = 2_000_000) -> bytes:
    """Rows without a row number are legal; identical, they compress about 1000-fold."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return with_sheet_xml(row * 1000, rows // 1000)


DISTINCT_ROWS = b"".join(
    b'<row><c t="inlineStr"><is><t>%d</t></is></c></row>' % i for i in range(1000)
)


def run(session: Session, users: Users, data: bytes, lang: str = "zh-CN", **limits: int):
    settings = load_settings(**{f"import_max_{k}": v for k, v in limits.items()})
    return excel.import_rows(
        session,
        PERSON,
        users.admin,
        data,
        lang,
        filename="people.xlsx",
        limits=Limits.from_settings(settings),
    )


def refused_with(report: excel.ImportReport, message: str) -> bool:
    return not report.ok and report.created == 0 and [e.message for e in report.errors] == [message]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_zip_bomb_is_refused_before_it_is_parsed(
    session: Session, users: Users, lang: str
) -> None:
    data = zip_bomb()
    assert len(data) < 1_000_000  # small on disk: only the unpacked size gives it away
    before = _count(session)
    report = run(session, users, data, lang)
    members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    unzipped = sum(i.file_size for i in members)
    ratio = round(unzipped / sum(i.compress_size for i in members))
    assert 16_000_000 < unzipped < 200_000_000  # under the size limit: the ratio gives it away
    assert refused_with(report, t("import.zip_bomb", lang, ratio=ratio, limit=100))
    assert _count(session) == before


def test_a_bomb_under_the_ratio_still_stops_at_the_row_limit(
    session: Session, users: Users
) -> None:
    """Distinct cells compress less: the row count, read in the pre-pass, stops it."""
    before = _count(session)
    report = run(session, users, with_sheet_xml(DISTINCT_ROWS, 200), rows=5000)
    assert refused_with(report, t("import.too_many_rows", "zh-CN", limit=5000))
    assert _count(session) == before


def test_a_file_over_the_size_limit_is_not_opened(session: Session, users: Users) -> None:
    buf = io.BytesIO(xlsx(ZH_HEADER, people_rows(2)))
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/media/photo.bin", os.urandom(1_200_000))  # a large picture
    before = _count(session)
    report = run(session, users, buf.getvalue(), "en", file_mb=1)
    size = f"{len(buf.getvalue()) / 1e6:.1f}"
    assert refused_with(report, t("import.too_large", "en", size=size, limit="1.0"))
    assert _count(session) == before


def test_a_workbook_over_the_uncompressed_limit_is_not_opened(
    session: Session, users: Users
) -> None:
    data = with_sheet_xml(DISTINCT_ROWS, 30)
    unzipped = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    report = run(session, users, data, unzipped_mb=1)
    message = t("import.too_large_unzipped", "zh-CN", size=f"{unzipped / 1e6:.1f}", limit="1.0")
    assert refused_with(report, message)


@pytest.mark.parametrize("rows", [53, 200])  # caught while streaming / by the pre-pass
def test_more_rows_than_the_limit_are_refused_before_anything_is_written(
    session: Session, users: Users, rows: int
) -> None:
    before = _count(session)
    report = run(session, users, xlsx(ZH_HEADER, people_rows(rows)), rows=50)
    assert refused_with(report, t("import.too_many_rows", "zh-CN", limit=50))
    assert _count(session) == before
    assert run(session, users, xlsx(ZH_HEADER, people_rows(50)), rows=50).created == 50


def test_merged_cells_in_the_body_read_as_their_top_left_value(
    session: Session, users: Users
) -> None:
    """A workshop written once and merged down over its people, as offices do."""
    rows = people_rows(5, department="铸造车间")
    for row in rows[1:4]:
        row[3] = None
    wb = load_workbook(io.BytesIO(xlsx(ZH_HEADER, rows)))
    wb.active.merge_cells("D2:D5")
    buf = io.BytesIO()
    wb.save(buf)
    report = run(session, users, buf.getvalue())
    assert report.ok, report.errors
    casting = session.exec(select(Department).where(Department.name == "铸造车间")).one()
    imported = session.exec(select(Person).where(Person.name.in_([r[0] for r in rows]))).all()
    assert len(imported) == 5 and {p.department_id for p in imported} == {casting.id}


def test_an_empty_sheet_is_refused(session: Session, users: Users) -> None:
    buf = io.BytesIO()
    Workbook().save(buf)
    assert refused_with(run(session, users, buf.getvalue(), "en"), t("import.empty", "en"))
