"""Excel in and out, as an office user meets it: a template with labelled columns, an import that
names the row, column and reason of every problem and inserts all rows or none, and exports
(xlsx, and CSV that Excel opens in Chinese) of exactly the filtered list."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from core import audit
from core.crud import excel
from core.crud.custom import effective_fields
from core.crud.excel import RowError
from core.crud.registry import get_spec
from core.crud.service import ListQuery
from core.i18n import t
from core.rbac import PermissionDenied, set_grant
from models.enums import Action, Module, Role
from models.org import Department, Enterprise, Person
from models.system import AuditEntry
from tests import factories
from tests.factories import Org, Users

PERSON = get_spec("person")
ENTERPRISE = get_spec("enterprise")
DEPARTMENT = get_spec("department")
ZH_HEADER = ["名称", "工号", "企业", "部门/车间", "性别", "入职日期", "状态"]
EN_HEADER = ["Name", "Employee no.", "Enterprise", "Department", "Gender", "Hired on", "Status"]


def xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def people_rows(count: int, *, department: str = "机修车间") -> list[list[Any]]:
    """``count`` valid rows in the zh header's order, dates as real Excel dates."""
    return [
        [
            f"导入{i:02d}",
            f"IMP{i:03d}",
            "苏州精工机械有限公司",
            department,
            "男" if i % 2 else "女",
            datetime(2024, 1 + i % 12, 1 + i % 28),
            "在职",
        ]
        for i in range(count)
    ]


def _count(session: Session, model=Person) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _entries_after(session: Session, seq: int) -> list[AuditEntry]:
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)).all()
    )


def _last_seq(session: Session) -> int:
    return session.exec(select(func.max(AuditEntry.seq))).one() or 0


def _import(session: Session, actor, rows, header=ZH_HEADER, spec=PERSON, lang="zh-CN"):
    return excel.import_rows(session, spec, actor, xlsx(header, rows), lang, filename="people.xlsx")


class TestTemplate:
    @pytest.mark.parametrize("lang", ["zh-CN", "en"])
    def test_headers_are_field_labels_with_required_ones_marked(
        self, session: Session, users: Users, lang: str
    ) -> None:
        ws = load_workbook(io.BytesIO(excel.template(session, PERSON, users.admin, lang))).active
        header = [c for c in next(ws.iter_rows(min_row=1, max_row=1))]
        specs = excel.io_fields(session, PERSON)

        assert [c.value for c in header] == [f.label_in(lang) for f in specs]
        assert ws.title == t("table.person", lang)
        required = {c.value for c in header if c.font.bold}
        assert (
            required == {f.label_in(lang) for f in specs if f.required} == {t("field.name", lang)}
        )
        assert header[0].comment.text.startswith(t("import.required", lang))

    def test_choices_become_drop_downs(self, session: Session, users: Users) -> None:
        ws = load_workbook(io.BytesIO(excel.template(session, PERSON, users.admin, "zh-CN"))).active

        formulas = {dv.formula1 for dv in ws.data_validations.dataValidation}

        assert '"男,女"' in formulas
        assert '"在职,离职"' in formulas

    def test_needs_create_permission(self, session: Session, users: Users) -> None:
        with pytest.raises(PermissionDenied):
            excel.template(session, PERSON, users.display, "zh-CN")


class TestImportAllOrNothing:
    def test_one_bad_date_rejects_the_whole_file_and_names_it(
        self, session: Session, users: Users
    ) -> None:
        rows = people_rows(20)
        rows[15][5] = "2024-02-30"  # Excel row 17: the header is row 1
        people, seq = _count(session), _last_seq(session)

        report = _import(session, users.admin, rows)

        assert report.rows == 20
        assert report.created == 0
        assert report.errors == [
            RowError(17, "入职日期", "“2024-02-30”不是有效日期（如 2026-01-31）")
        ]
        assert report.errors[0].message == t("validation.not_date", "zh-CN", value="2024-02-30")
        assert _count(session) == people
        assert [e.action for e in _entries_after(session, seq)] == ["import_rejected"]

    def test_clean_file_inserts_every_row_with_an_audit_entry_each(
        self, session: Session, org: Org, users: Users
    ) -> None:
        people, seq = _count(session), _last_seq(session)

        report = _import(session, users.admin, people_rows(20))

        assert report.ok
        assert (report.rows, report.created) == (20, 20)
        assert _count(session) == people + 20
        entries = _entries_after(session, seq)
        assert [e.action for e in entries] == ["create"] * 20 + ["import"]
        assert entries[-1].detail == {"filename": "people.xlsx", "rows": 20}
        imported = session.exec(select(Person).where(Person.name.startswith("导入"))).all()
        assert {e.row_id for e in entries[:-1]} == {p.id for p in imported}
        assert {(p.enterprise_id, p.department_id) for p in imported} == {(org.ent1, org.dept_a)}
        assert audit.verify(session).ok

    def test_values_are_typed(self, session: Session, org: Org, users: Users) -> None:
        _import(
            session,
            users.admin,
            [["导入甲", 1001, "苏州精工机械有限公司", "机修车间", "女", "2023/04/01", "离职"]],
        )

        row = session.exec(select(Person).where(Person.name == "导入甲")).one()
        assert (row.employee_no, row.gender, row.hired_on, row.status) == (
            "1001",
            "female",
            date(2023, 4, 1),
            "left",
        )

    def test_english_headers_and_labels_are_accepted(
        self, session: Session, org: Org, users: Users
    ) -> None:
        rows = [
            [
                "Import A",
                "IMPA",
                "苏州精工机械有限公司",
                "铸造车间",
                "Female",
                "2024-05-06",
                "Active",
            ]
        ]

        report = _import(session, users.admin, rows, header=EN_HEADER, lang="en")

        assert report.ok, report.errors
        row = session.exec(select(Person).where(Person.name == "Import A")).one()
        assert (row.department_id, row.gender, row.status) == (org.dept_b, "female", "active")

    def test_blank_rows_are_skipped(self, session: Session, users: Users) -> None:
        rows = people_rows(3)
        rows.insert(1, [None] * 7)

        report = _import(session, users.admin, rows)

        assert (report.rows, report.created) == (3, 3)


class TestImportProblems:
    def test_unknown_and_missing_columns(self, session: Session, users: Users) -> None:
        report = _import(session, users.admin, [["x", "42"]], header=["工号", "鞋码"])

        assert report.errors == [
            RowError(1, "鞋码", "无法识别的列"),
            RowError(1, "名称", t("import.missing_column", "zh-CN")),
        ]
        assert report.errors[0].message == t("import.unknown_column", "zh-CN")

    def test_every_problem_is_listed_with_row_and_column(
        self, session: Session, users: Users
    ) -> None:
        rows = people_rows(4)
        rows[0][0] = None  # row 2: name missing
        rows[2][4] = "未知"  # row 4: gender not an option
        rows[3][3] = "不存在车间"  # row 5: no such department

        report = _import(session, users.admin, rows, lang="en")

        assert [(e.row, e.column) for e in report.errors] == [
            (2, "Name"),
            (4, "Gender"),
            (5, "Department"),
        ]
        assert (
            report.errors[2].message == "“不存在车间” was not found or is outside your data scope"
        )

    def test_duplicate_codes_in_the_file_and_in_the_database(
        self, session: Session, org: Org, users: Users
    ) -> None:
        taken = session.get(Enterprise, org.ent1).code
        rows = [
            ["新企业一", "CODE-1"],
            ["新企业二", "CODE-2"],
            ["新企业三", "CODE-1"],
            ["新企业四", taken],
        ]
        before = _count(session, Enterprise)

        report = _import(session, users.admin, rows, header=["名称", "编码"], spec=ENTERPRISE)

        assert sorted(report.errors, key=lambda e: (e.row, e.column)) == [
            RowError(4, "编码", "与第 2 行重复"),
            RowError(5, "编码", f"“{taken}”已存在"),
        ]
        assert _count(session, Enterprise) == before

    def test_duplicate_department_names_within_an_enterprise(
        self, session: Session, org: Org, users: Users
    ) -> None:
        rows = [
            ["仓储部", "苏州精工机械有限公司"],
            ["机修车间", "苏州精工机械有限公司"],
            ["仓储部", "苏州精工机械有限公司"],
            ["机修车间", "苏州华信化工有限公司"],
        ]
        before = _count(session, Department)

        report = _import(
            session, users.admin, rows, header=["名称", "企业"], spec=DEPARTMENT, lang="en"
        )

        assert sorted(report.errors, key=lambda e: (e.row, e.column)) == [
            RowError(3, "Name", "“机修车间” already exists"),
            RowError(4, "Name", "Duplicates row 2"),
        ]
        assert _count(session, Department) == before

    def test_ambiguous_name_asks_for_the_id(self, session: Session, org: Org, users: Users) -> None:
        factories.department(session, org.ent1, "生产部")  # enterprise 2 has one too

        report = _import(session, users.admin, people_rows(1, department="生产部"), lang="en")

        assert report.errors == [
            RowError(2, "Department", "More than one record is called “生产部”; give its ID"),
        ]

    @pytest.mark.parametrize(
        ("data", "key"),
        [
            (b"name,phone\n", "import.csv_file"),
            ("名称,电话\n张三,138".encode("gb18030"), "import.csv_file"),
            (b"PK\x03\x04 not really a zip", "import.not_excel"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "import.not_excel"),
        ],
    )
    def test_not_an_excel_file(self, session: Session, users: Users, data: bytes, key: str) -> None:
        report = excel.import_rows(session, PERSON, users.admin, data, "en")

        assert report.errors == [RowError(0, "", t(key, "en"))]


class TestImportScope:
    def test_names_outside_the_importers_scope_are_rejected(
        self, session: Session, users: Users
    ) -> None:
        set_grant(session, users.admin, Role.INSPECTOR, Module.ORG, Action.CREATE, True)
        session.flush()
        inspector = users.refreshed(session, "inspector_a")
        rows = people_rows(3)
        rows[1][3] = "铸造车间"  # department B, row 3
        people = _count(session)

        report = _import(session, inspector, rows, lang="en")

        assert [(e.row, e.column) for e in report.errors] == [(3, "Department")]
        assert "outside your data scope" in report.errors[0].message
        assert _count(session) == people

    def test_rows_without_scope_land_in_the_importers_department(
        self, session: Session, org: Org, users: Users
    ) -> None:
        set_grant(session, users.admin, Role.INSPECTOR, Module.ORG, Action.CREATE, True)
        session.flush()
        inspector = users.refreshed(session, "inspector_a")

        report = _import(session, inspector, [["自动归属"]], header=["名称"])

        assert report.ok
        row = session.exec(select(Person).where(Person.name == "自动归属")).one()
        assert (row.enterprise_id, row.department_id, row.created_by) == (
            org.ent1,
            org.dept_a,
            inspector.user_id,
        )

    def test_enterprise_head_cannot_import_into_another_enterprise(
        self, session: Session, users: Users
    ) -> None:
        rows = [["越界", "X1", "苏州华信化工有限公司", None, None, None, None]]

        report = _import(session, users.safety_head, rows)

        assert [(e.row, e.column) for e in report.errors] == [(2, "企业")]

    def test_needs_create_permission(self, session: Session, users: Users) -> None:
        with pytest.raises(PermissionDenied):
            _import(session, users.park_supervisor, people_rows(1))


class TestExport:
    def _labels(self, session: Session, lang: str) -> list[str]:
        return ["ID", *(f.label_in(lang) for f in effective_fields(session, PERSON) if f.in_io)]

    def test_xlsx_holds_the_filtered_rows_with_labels(
        self, session: Session, org: Org, users: Users
    ) -> None:
        q = ListQuery(filters={"department_id": org.dept_a})

        data = excel.export(session, PERSON, users.admin, q, "xlsx", "zh-CN")

        wb = load_workbook(io.BytesIO(data), read_only=True)
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        assert ws.title == "人员"
        assert rows[0] == self._labels(session, "zh-CN")
        by_name = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
        assert set(by_name) == {"张伟", "李娜"}
        zhang = by_name["张伟"]
        assert zhang["ID"] == org.person_a
        assert (zhang["企业"], zhang["部门/车间"], zhang["岗位"]) == (
            "苏州精工机械有限公司",
            "机修车间",
            "电焊工",
        )
        assert (zhang["性别"], zhang["入职日期"], zhang["状态"]) == ("男", "2020-03-01", "在职")

    def test_csv_has_a_bom_and_english_labels(
        self, session: Session, org: Org, users: Users
    ) -> None:
        q = ListQuery(filters={"status": ["active"]}, search="王")

        data = excel.export(session, PERSON, users.admin, q, "csv", "en")

        assert data.startswith(b"\xef\xbb\xbf")  # Excel then reads the Chinese correctly
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert [(r["Name"], r["Department"], r["Status"]) for r in rows] == [
            ("王强", "铸造车间", "Active"),
        ]
        assert list(rows[0]) == self._labels(session, "en")

    def test_export_follows_scope_and_is_audited(self, session: Session, users: Users) -> None:
        seq = _last_seq(session)

        data = excel.export(session, PERSON, users.park_supervisor, ListQuery(), "csv", "zh-CN")

        assert len(data.decode("utf-8-sig").strip().splitlines()) == 1 + 4
        [entry] = _entries_after(session, seq)
        assert (entry.action, entry.actor_name, entry.detail["rows"]) == (
            "export",
            "park_supervisor",
            4,
        )

    def test_needs_export_permission(self, session: Session, users: Users) -> None:
        with pytest.raises(PermissionDenied):
            excel.export(session, PERSON, users.inspector_a, ListQuery(), "xlsx", "zh-CN")

    def test_exported_file_imports_again(self, session: Session, org: Org, users: Users) -> None:
        """Export → delete the ID column → import: the round trip an office user does."""
        data = excel.export(
            session,
            PERSON,
            users.admin,
            ListQuery(filters={"department_id": org.dept_b}),
            "xlsx",
            "zh-CN",
        )
        rows = [
            list(r)[1:] for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)
        ]
        header = rows.pop(0)
        rows = [[f"{r[0]}二号", *r[1:]] for r in rows]

        report = _import(session, users.admin, rows, header=header)

        assert report.ok, report.errors
        copy = session.exec(select(Person).where(Person.name == "王强二号")).one()
        assert (copy.department_id, copy.post_id, copy.hired_on) == (
            org.dept_b,
            org.post_b,
            date(2019, 11, 20),
        )
