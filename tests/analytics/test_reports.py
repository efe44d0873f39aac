"""The statutory reports over a data set counted by hand (May 2030, Shanghai = UTC+8, today is
3 June, so overdue is taken on 1 June), committed so that DuckDB can read it.

Hazards (enterprise 1): g1 general A found 05-02 closed 05-09; g2 general B found 05-03
rectifying, deadline 05-20 (overdue); g3 general A rejected; m1 major A found 05-05 rectifying,
deadline 05-15 (overdue); m2 major B found 04-10 confirmed, deadline 07-01 (still open); m3 major
A found 04-01 closed 05-10. → general found 2, closed 1, closed in May 1, overdue 1, 50 %;
major found 1, closed 0, closed in May 1, overdue 1; major list m2, m1. Department A: general
found 1 (closed), major m1 only.

Risk points: MAJOR since April; GENERAL added 05-10; LOW since March, retired 05-20; GENERAL
added in June (not yet there at the end of May).

Inspection tasks due in May: daily plan: done on the day, done a day late, pending (missed),
cancelled, overdue; one task without a plan, pending (missed); one due in June.

Incidents 2030: in March an accident (1 death, 2 minor, 1000 yuan, graded) and a minor event
(1 minor, 500) of type 物体打击, a near miss; on 1 January local (31 Dec UTC) one without a type;
one on 1 January 2031 local (31 Dec 2030 UTC) that belongs to the next year.

Training in May: 张伟 (A) passed 90, 王强 (B) failed 40; 张伟 again on 30 April.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analytics import kpi
from analytics import reports as ar
from analytics.duck import Connection, connect
from core.rbac import PermissionDenied
from core.reporting import reports as cr
from models.enums import RiskLevel
from models.hazard import Hazard, HazardLevel, HazardState
from models.incident import AccidentGrade, Incident, IncidentKind
from models.reference import AccidentType
from models.risk_inspection import (
    InspectionPlan,
    InspectionPlanType,
    InspectionTask,
    InspectionTaskState,
)
from models.risk_register import RiskPoint, RiskUnit
from models.system import AuditEntry
from models.training import TrainingCourse, TrainingRecord, TrainingResult
from tests.factories import Org, Users, serial

MAY = ar.month_period(2030, 5)
TODAY = date(2030, 6, 3)
ZONE = "Asia/Shanghai"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Data:
    con: Connection
    org: Org
    users: Users


def _hazards(s: Session, org: Org) -> None:
    a, b, g, m = org.dept_a, org.dept_b, HazardLevel.GENERAL, HazardLevel.MAJOR
    st = HazardState
    rows = [
        dict(department_id=a, level=g, found_at=utc(2030, 5, 2, 2), state=st.CLOSED,
             closed_at=utc(2030, 5, 9, 2), title="g1"),
        dict(department_id=b, level=g, found_at=utc(2030, 5, 3, 2), state=st.RECTIFYING,
             deadline=date(2030, 5, 20), title="g2"),
        dict(department_id=a, level=g, found_at=utc(2030, 5, 4, 2), state=st.REJECTED, title="g3"),
        dict(department_id=a, level=m, found_at=utc(2030, 5, 5, 2), state=st.RECTIFYING,
             deadline=date(2030, 5, 15), title="m1", owner_id=org.person_a),
        dict(department_id=b, level=m, found_at=utc(2030, 4, 10, 2), state=st.CONFIRMED,
             deadline=date(2030, 7, 1), title="m2"),
        dict(department_id=a, level=m, found_at=utc(2030, 4, 1, 2), state=st.CLOSED,
             closed_at=utc(2030, 5, 10, 2), title="m3"),
    ]  # fmt: skip
    for values in rows:
        s.add(Hazard(enterprise_id=org.ent1, number=f"R-{serial():06d}", **values))


def _risk(s: Session, org: Org) -> None:
    unit = RiskUnit(enterprise_id=org.ent1, department_id=org.dept_a, name="车床")
    s.add(unit)
    s.flush()
    points = [
        (RiskLevel.MAJOR, utc(2030, 4, 1), None),
        (RiskLevel.GENERAL, utc(2030, 5, 10), None),
        (RiskLevel.LOW, utc(2030, 3, 1), utc(2030, 5, 20)),
        (RiskLevel.GENERAL, utc(2030, 6, 2), None),
    ]
    for level, created, deleted in points:
        s.add(
            RiskPoint(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                unit_id=unit.id,
                name=f"点{serial()}",
                current_level=level,
                created_at=created,
                deleted_at=deleted,
            )
        )


def _inspections(s: Session, org: Org) -> None:
    plan = InspectionPlan(
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        name="日检",
        plan_type=InspectionPlanType.DAILY,
    )
    s.add(plan)
    s.flush()
    ts = InspectionTaskState
    tasks = [
        (plan.id, date(2030, 5, 3), ts.DONE, utc(2030, 5, 3, 2)),
        (plan.id, date(2030, 5, 5), ts.DONE, utc(2030, 5, 6, 2)),
        (plan.id, date(2030, 5, 20), ts.PENDING, None),
        (plan.id, date(2030, 5, 21), ts.CANCELLED, None),
        (plan.id, date(2030, 5, 22), ts.OVERDUE, None),
        (None, date(2030, 5, 31), ts.PENDING, None),
        (plan.id, date(2030, 6, 5), ts.PENDING, None),
    ]
    for plan_id, due, state, done_at in tasks:
        s.add(
            InspectionTask(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                name="检查",
                plan_id=plan_id,
                due_date=due,
                state=state,
                done_at=done_at,
            )
        )


def _incidents(s: Session, org: Org) -> None:
    kind = AccidentType(code="R01", name="物体打击", name_en="Struck by object")
    grade = AccidentGrade(code="R-GEN", name="一般事故", name_en="General accident", rank=1)
    s.add_all([kind, grade])
    s.flush()
    k = IncidentKind
    rows = [
        (k.ACCIDENT, utc(2030, 3, 5, 2), kind.id, grade.id, 1, 2, 1000.0),
        (k.MINOR, utc(2030, 3, 6, 2), kind.id, None, 0, 1, 500.0),
        (k.NEAR_MISS, utc(2030, 3, 7, 2), kind.id, None, 0, 0, 0.0),
        (k.ACCIDENT, utc(2029, 12, 31, 17), None, None, 0, 1, 100.0),
        (k.ACCIDENT, utc(2030, 12, 31, 17), kind.id, None, 0, 1, 100.0),
    ]
    for kind_, at, type_id, grade_id, deaths, minor, loss in rows:
        s.add(
            Incident(
                enterprise_id=org.ent1,
                department_id=org.dept_a,
                number=f"SG-{serial():06d}",
                title="事故",
                kind=kind_,
                occurred_at=at,
                accident_type_id=type_id,
                grade_id=grade_id,
                deaths=deaths,
                minor_injuries=minor,
                direct_loss=loss,
            )
        )


def _training(s: Session, org: Org) -> None:
    course = TrainingCourse(enterprise_id=org.ent1, name="三级安全教育", hours=2)
    s.add(course)
    s.flush()
    rows = [
        (org.person_a, org.dept_a, date(2030, 5, 10), TrainingResult.PASSED, 90.0),
        (org.person_b, org.dept_b, date(2030, 5, 12), TrainingResult.FAILED, 40.0),
        (org.person_a, org.dept_a, date(2030, 4, 30), TrainingResult.PASSED, 80.0),
    ]
    for person, dept, day, result, score in rows:
        s.add(
            TrainingRecord(
                enterprise_id=org.ent1,
                department_id=dept,
                person_id=person,
                course_id=course.id,
                trained_on=day,
                hours=2,
                result=result,
                score=score,
            )
        )


@pytest.fixture(scope="module")
def data(engine: Engine, world: tuple[Org, Users]) -> Iterator[Data]:
    org, users = world
    with Session(engine) as s:
        for build in (_hazards, _risk, _inspections, _incidents, _training):
            build(s, org)
        s.commit()
    con = connect(engine.url.render_as_string(hide_password=False))
    yield Data(con, org, users)
    con.close()


def _rows(frame) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in frame.iter_rows()}


def test_risk_points_by_level_and_change(data: Data) -> None:
    got = _rows(ar.risk_levels(data.con, data.users.admin, MAY, zone=ZONE))
    # at_start, added, retired, at_end, change
    assert got == {
        "major": (1, 0, 0, 1, 0),
        "significant": (0, 0, 0, 0, 0),
        "general": (0, 1, 0, 1, 1),
        "low": (1, 0, 1, 0, -1),
    }
    dept_b = _rows(ar.risk_levels(data.con, data.users.inspector_b, MAY, zone=ZONE))
    assert all(v == (0, 0, 0, 0, 0) for v in dept_b.values())


def test_inspections_planned_and_done(data: Data) -> None:
    got = _rows(ar.inspections(data.con, data.users.admin, MAY, TODAY, zone=ZONE))
    # planned, done, on time, missed, rate
    assert got["daily"] == (4, 2, 1, 2, 50.0)
    assert got["unplanned"] == (1, 0, 0, 1, 0.0)
    assert got["weekly"] == (0, 0, 0, 0, None)


def test_hazards_by_level_agree_with_the_cockpit(data: Data) -> None:
    admin = data.users.admin
    got = _rows(ar.hazard_levels(data.con, admin, MAY, TODAY, zone=ZONE))
    # found, closed, closed in month, overdue, rate
    assert got == {"general": (2, 1, 1, 1, 50.0), "major": (1, 0, 1, 1, 0.0)}
    cockpit = kpi.cockpit(
        data.con, admin, MAY, TODAY, zone=ZONE, keys=("closure_rate", "overdue")
    ).rows_by_key("key", named=True, unique=True)
    assert cockpit["closure_rate"]["part"] == 1 and cockpit["closure_rate"]["whole"] == 3
    assert cockpit["overdue"]["value"] == 2


def test_major_hazard_list_and_department_scope(data: Data) -> None:
    frame = ar.major_hazards(data.con, data.users.admin, MAY, TODAY, zone=ZONE)
    assert frame["title"].to_list() == ["m2", "m1"]
    m1 = frame.row(1, named=True)
    assert m1["owner"] == "张伟" and m1["state"] == "rectifying" and m1["overdue"] is True
    assert m1["found_on"] == date(2030, 5, 5) and m1["deadline"] == date(2030, 5, 15)

    dept_a = data.users.inspector_a
    assert ar.major_hazards(data.con, dept_a, MAY, TODAY, zone=ZONE)["title"].to_list() == ["m1"]
    levels = _rows(ar.hazard_levels(data.con, dept_a, MAY, TODAY, zone=ZONE))
    assert levels["general"] == (1, 1, 1, 0, 100.0)


def test_accidents_by_month_type_and_grade(data: Data) -> None:
    detail = ar.accidents(data.con, data.users.admin, 2030, zone=ZONE)
    assert detail.rows() == [
        (1, None, None, 1, 0, 0, 1, 100.0),
        (3, "物体打击", "一般事故", 1, 1, 0, 2, 1000.0),
        (3, "物体打击", None, 1, 0, 0, 1, 500.0),
    ]
    en = ar.accidents(data.con, data.users.admin, 2030, zone=ZONE, lang="en")
    assert en["type"][1] == "Struck by object"
    matrix = ar.accident_matrix(detail, "未分类")
    assert matrix.columns == ["month", "未分类", "物体打击", *ar.MEASURES]
    assert matrix.height == 12
    march = matrix.row(2, named=True)
    assert march["物体打击"] == 2 and march["deaths"] == 1 and march["direct_loss"] == 1500.0
    assert matrix["incidents"].sum() == 3
    assert ar.accidents(data.con, data.users.inspector_b, 2030, zone=ZONE).height == 0


def test_training_register_and_scope(data: Data) -> None:
    frame = ar.training_register(data.con, data.users.admin, MAY)
    assert frame.select("person", "score", "result").rows() == [
        ("张伟", 90.0, "passed"),
        ("王强", 40.0, "failed"),
    ]
    assert frame["course"].to_list() == ["三级安全教育"] * 2
    scoped = ar.training_register(data.con, data.users.inspector_a, MAY)
    assert scoped["person"].to_list() == ["张伟"]


def test_excel_has_header_block_and_cells(data: Data) -> None:
    req = cr.Request("dual_prevention", MAY)
    report = cr.build_report(data.con, data.users.admin, req, "zh-CN", today=TODAY, zone=ZONE)
    wb = load_workbook(io.BytesIO(cr.to_xlsx(report, "zh-CN")))
    assert len(wb.sheetnames) == 4
    ws = wb[wb.sheetnames[2]]  # hazards
    assert ws["A1"].value.startswith("双重预防机制运行月报")
    assert "苏州精工机械有限公司" in ws["A2"].value
    assert ws["A3"].value == "统计期间：2030年5月"
    assert ws.freeze_panes == "A7"
    assert [c.value for c in ws[6]][:3] == ["隐患等级", "发现", "已整改销号"]
    assert ws[6][0].font.bold
    assert [c.value for c in ws[7]] == ["一般事故隐患", 2, 1, 1, 1, 50.0]
    assert [c.value for c in ws[9]] == ["合计", 3, 1, 2, 2, 33.3]
    assert ws.column_dimensions["A"].width == 18
    major = wb[wb.sheetnames[3]]
    assert major["E8"].number_format == "yyyy-mm-dd"
    assert [c.value for c in major[8]][2] == "m1"


@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="reads the PDF back with poppler's pdftotext"
)
def test_pdf_is_a4_with_chinese_text(data: Data) -> None:
    admin = data.users.admin
    for kind, period in (("dual_prevention", MAY), ("accidents", ar.year_period(2030)),
                         ("training", MAY)):  # fmt: skip
        report = cr.build_report(data.con, admin, cr.Request(kind, period), "zh-CN", today=TODAY)
        pdf = cr.to_pdf(report, "zh-CN")
        assert pdf.startswith(b"%PDF")
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert report.title in text
        if kind == "dual_prevention":
            assert "重大事故隐患" in text and "m1" in text
        assert text.count("\f") <= 3, "a small report fits a page or two"


def test_export_checks_permission_and_is_audited(data: Data, session: Session) -> None:
    req = cr.Request("training", MAY, data.org.ent1)
    report, xlsx = cr.export(session, data.con, data.users.admin, req, "xlsx", "en", today=TODAY)
    assert report.rows == 2 and xlsx[:2] == b"PK"
    entry = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "export"
    assert entry.table_name == "training_record"
    period = {"start": "2030-05-01", "end": "2030-05-31"}
    assert entry.detail == {"report": "training", **period, "enterprise_id": data.org.ent1,
                            "format": "xlsx", "rows": 2}  # fmt: skip
    with pytest.raises(PermissionDenied):
        cr.export(session, data.con, data.users.inspector_a, req, "pdf", "zh-CN", today=TODAY)
