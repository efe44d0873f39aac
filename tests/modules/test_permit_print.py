"""The printable permit and the search exports: what is printed, who may print, the audit.

Text is read back with ``pdftotext`` (poppler) when the machine has it, else with a small
reader of reportlab's own output (ASCII85 + Flate streams, UTF-16 strings of the CID font), so
the test runs anywhere.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from analytics import permit_stats as ps
from core.crud.service import NotFound
from core.permit import printout as permit_print
from core.rbac import PermissionDenied
from core.reporting import permit_search as permit_export
from models.contractor import Contractor, ContractorWorker
from models.enums import RiskLevel
from models.org import Area
from models.permit import Permit, PermitGasReading, PermitSignature, PermitState
from models.permit_reference import (
    GasLimit,
    PermitGrade,
    PermitMeasureItem,
    PermitTemplate,
    PermitType,
)
from models.system import AuditEntry
from models.workflow import WorkflowEvent
from tests.factories import Org, Users

EXPORT = ("permit", "export")
NUMBER = "DH20260315001"
PARENT = "DH20260314009"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 15, hour, minute, tzinfo=UTC)  # 15/16 h later on site


# --- reading the PDF back ---------------------------------------------------------------------

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_LITERAL = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        c = raw[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = raw[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            out += _ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _own_reader(data: bytes) -> str:
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        body = stream.strip()
        try:
            body = zlib.decompress(base64.a85decode(body.removesuffix(b"~>")))
        except ValueError:
            with contextlib.suppress(zlib.error):
                body = zlib.decompress(body)
        for literal in _LITERAL.findall(body):
            texts.append(_unescape(literal[1:-1]).decode("utf-16-be", errors="ignore"))
    return "\n".join(texts)


def pdf_text(data: bytes) -> str:
    """The PDF's text with all white space removed (cells wrap anywhere)."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
        text = done.stdout.decode("utf-8")
    else:
        text = _own_reader(data)
    return "".join(text.split())


# --- a permit with everything on it -----------------------------------------------------------


@dataclass(frozen=True)
class Printed:
    permit: int
    type_id: int


@pytest.fixture
def hot_work(session: Session, org: Org, users: Users) -> Printed:
    kind = PermitType(code="DH", name="动火作业", name_en="Hot work", requires_gas_analysis=True)
    grade = PermitGrade(
        code="DH-1", type_code="DH", name="动火作业 一级", name_en="Hot work, grade 1"
    )
    measures = [
        PermitMeasureItem(code="DH-01", type_code="DH", position=1, text="清除动火点周围可燃物"),
        PermitMeasureItem(code="DH-02", type_code="DH", position=2, text="配备灭火器材"),
    ]
    limit = GasLimit(
        code="DH-LEL",
        type_code="DH",
        gas="combustible",
        unit="vol_pct",
        max_value=0.5,
        clause="GB 30871",
    )
    template = PermitTemplate(
        code="TPL-DH",
        type_code="DH",
        name="动火作业票",
        form_fields=[
            {"name": "hot_work_method", "label": "动火方式", "label_en": "Hot-work method"},
            {"name": "medium", "label": "设备内介质", "label_en": "Medium"},
        ],
        measure_codes=["DH-01", "DH-02"],
    )
    area = Area(
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        name="熔炼区",
        polygon=[[0, 0], [10, 0], [10, 10], [0, 10]],
        risk_level=RiskLevel.MAJOR,
    )
    firm = Contractor(name="宏达建设", credit_code="91320000MA0000001X", enterprise_id=org.ent1)
    session.add_all([kind, grade, *measures, limit, template, area, firm])
    session.flush()
    outsider = ContractorWorker(contractor_id=firm.id, name="外协王五", enterprise_id=org.ent1)
    session.add(outsider)
    session.flush()
    common = dict(
        permit_type_id=kind.id,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        location="熔炼区东侧",
        content="钢包支架焊接",
    )
    parent = Permit(
        number=PARENT, planned_start=at(0), planned_end=at(8), state=PermitState.CLOSED, **common
    )
    session.add(parent)
    session.flush()
    permit = Permit(
        number=NUMBER,
        grade_id=grade.id,
        area_id=area.id,
        x=5.0,
        y=5.0,
        planned_start=at(1),
        planned_end=at(9),
        applicant_id=users.safety_head.user_id,
        guardian_id=org.person_a,
        workers=[org.person_a2, f"c{outsider.id}"],
        jsa=[{"step": "清理现场", "hazard": "可燃物引燃", "measure": "移除十米内可燃物"}],
        state=PermitState.CLOSED,
        template_id=template.id,
        parent_id=parent.id,
        form_values={"hot_work_method": "电焊", "medium": "天然气"},
        measures_checked={
            "DH-01": {"by": users.admin.user_id, "name": "监护员甲", "at": at(1).isoformat()}
        },
        briefing_content="交底：严禁超范围动火",
        briefing_by=users.safety_head.user_id,
        briefed_at=at(1, 5),
        briefing_signed=[org.person_a2],
        started_at=at(1, 30),
        suspend_reason="可燃气体超标暂停",
        completed_at=at(8),
        closed_at=at(8, 30),
        **common,
    )
    session.add(permit)
    session.flush()
    session.add_all(
        [
            PermitGasReading(
                permit_id=permit.id,
                gas="combustible",
                value=0.12,
                unit="vol_pct",
                measured_at=at(1, 10),
                tester_id=org.person_a,
                within_limit=True,
                enterprise_id=org.ent1,
            ),
            PermitGasReading(
                permit_id=permit.id,
                gas="combustible",
                value=0.83,
                unit="vol_pct",
                measured_at=at(3),
                tester_id=org.person_a,
                within_limit=False,
                enterprise_id=org.ent1,
            ),
            PermitSignature(
                permit_id=permit.id,
                step=1,
                role="work_leader",
                signer_name="作业负责人乙",
                signed_at=at(0, 40),
                enterprise_id=org.ent1,
            ),
            PermitSignature(
                permit_id=permit.id,
                step=2,
                role="unit_head",
                signer_name="撤回的丙",
                comment="先同意",
                signed_at=at(0, 45),
                withdrawn_at=at(0, 50),
                enterprise_id=org.ent1,
            ),
            WorkflowEvent(
                table_name="permit",
                row_id=permit.id,
                from_state="in_progress",
                to_state="suspended",
                action="suspend",
                actor_name="safety_head",
                comment="LEL 0.83",
                ts=at(3, 1),
            ),
        ]
    )
    session.flush()
    return Printed(permit.id, kind.id)


def test_printed_permit_shows_every_section(
    session: Session, hot_work: Printed, users: Users
) -> None:
    data = permit_print.permit_pdf(session, users.safety_head, hot_work.permit, "zh-CN")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for needle in (
        "动火安全作业票",
        NUMBER,
        "动火作业一级",
        "熔炼区",
        "机修车间",
        "张伟",  # guardian
        "李娜",  # worker (employee)
        "外协王五",  # worker (contractor)
        PARENT,  # extension of
        "动火方式",
        "电焊",
        "天然气",
        "可燃物引燃",
        "清除动火点周围可燃物",
        "监护员甲",
        "0.83",
        "不合格",
        "≤0.5%vol",
        "作业负责人乙",
        "撤回的丙",
        "已撤销",
        "严禁超范围动火",
        "已签字",
        "可燃气体超标暂停",
        "2026-03-1516:30",  # closed, site time
        "LEL0.83",  # history
    ):
        assert needle in text, needle


def test_printed_permit_in_english(session: Session, hot_work: Printed, users: Users) -> None:
    text = pdf_text(permit_print.permit_pdf(session, users.admin, hot_work.permit, "en"))
    for needle in ("Hotworkpermit", NUMBER, "Hot-workmethod", "Withdrawn", "Fail", "Gasanalysis"):
        assert needle in text, needle


def test_printing_is_scoped_permitted_and_audited(
    session: Session, hot_work: Printed, users: Users
) -> None:
    exporter_b = replace(users.inspector_b, grants=users.inspector_b.grants | {EXPORT})
    with pytest.raises(NotFound):  # department B does not see department A's permit
        permit_print.permit_pdf(session, exporter_b, hot_work.permit)
    with pytest.raises(PermissionDenied):  # inspectors may view permits, not export them
        permit_print.permit_pdf(session, users.inspector_a, hot_work.permit)
    permit_print.permit_pdf(session, users.safety_head, hot_work.permit)
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "export").order_by(col(AuditEntry.seq).desc())
    ).first()
    assert entry.table_name == "permit" and entry.row_id == hot_work.permit
    assert entry.actor_name == "safety_head" and entry.detail["number"] == NUMBER


def test_search_exports_to_excel_and_pdf(session: Session, hot_work: Printed, users: Users) -> None:
    search = ps.PermitSearch(type_id=hot_work.type_id)
    book = load_workbook(
        io.BytesIO(permit_export.results_xlsx(session, users.admin, search, "zh-CN"))
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("作业票编号", "作业票证类型", "级别")
    assert [r[0] for r in rows[1:]] == [NUMBER, PARENT]  # latest planned start first
    assert rows[1][1] == "动火作业" and rows[1][4] == "机修车间"
    assert rows[1][9] == datetime(2026, 3, 15, 9, 0)  # planned start, site time
    only = ps.PermitSearch(number=PARENT)
    pdf = permit_export.results_pdf(session, users.admin, only, "en")
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and PARENT in text and NUMBER not in text
    assert "Workpermitsearchresults" in text
    details = [
        e.detail
        for e in session.exec(select(AuditEntry).where(AuditEntry.action == "export")).all()
    ]
    assert {"format": "xlsx", "document": "search", "rows": 2} | {
        "filters": {"type_id": hot_work.type_id, "zone": "Asia/Shanghai"}
    } in details
    with pytest.raises(PermissionDenied):
        permit_export.results_xlsx(session, users.inspector_a, search)


def test_own_reader_reads_reportlab_output(
    session: Session, hot_work: Printed, users: Users
) -> None:
    """The fallback reader finds what pdftotext finds, so the tests mean the same anywhere."""
    text = "".join(
        _own_reader(permit_print.permit_pdf(session, users.admin, hot_work.permit)).split()
    )
    assert NUMBER in text and "动火安全作业票" in text and "撤回的丙" in text
