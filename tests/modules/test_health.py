"""Occupational health: reference limits, exceedance and next-exam computation, demo data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from core.clock import add_months
from core.compliance.rules import auto_scores
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed, create_row
from core.health.rules import exams_up_to_date, exposures_monitored, is_exceeded, next_exam_due
from core.rbac import SYSTEM
from models.health import ExamKind, FactorExposure, HealthExam, MonitoringResult, OccupationalFactor
from models.health_ppe import PpeIssue, PpeItem
from models.org import Enterprise, Person

S_COUNTS = {
    "factor_exposure": 24,
    "monitoring_result": 504,
    "health_exam": 280,
    "ppe_standard": 87,
    "ppe_issue": 3660,
}


def _factor(session: Session, code: str) -> OccupationalFactor:
    return session.exec(select(OccupationalFactor).where(OccupationalFactor.code == code)).one()


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_reference_lists_are_loaded(demo_session: Session) -> None:
    assert _count(demo_session, OccupationalFactor) == 23
    assert _count(demo_session, PpeItem) == 18
    helmet = demo_session.exec(select(PpeItem).where(PpeItem.code == "PPE-01")).one()
    assert (helmet.name, helmet.standard_no) == ("安全帽", "GB 2811-2019")


@pytest.mark.parametrize(
    ("code", "kind", "limit", "stel", "unit"),
    [
        ("CH-H2S", "mac", 10, None, "mg/m³"),
        ("PH-NOISE", "l_ex_8h", 85, None, "dB(A)"),
        ("CH-BENZ", "pc_twa", 6, 10, "mg/m³"),
        ("CH-CO", "pc_twa", 20, 30, "mg/m³"),
        ("CH-NH3", "pc_twa", 20, 30, "mg/m³"),
        ("CH-CL2", "mac", 1, None, "mg/m³"),
    ],
)
def test_known_limits_from_gbz_2(demo_session: Session, code, kind, limit, stel, unit) -> None:
    factor = _factor(demo_session, code)
    assert (factor.limit_kind, factor.limit_value, factor.stel_value, factor.unit) == (
        kind,
        limit,
        stel,
        unit,
    )
    assert factor.to_check is False, "REFERENCE.md values are confirmed"


def test_noise_and_benzene_are_examined_every_year(demo_session: Session) -> None:
    assert _factor(demo_session, "PH-NOISE").exam_interval_months == 12
    assert _factor(demo_session, "CH-BENZ").exam_interval_months == 12


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [(10.0, 10.0, False), (10.01, 10.0, True), (0.0, None, False), (99.0, None, False)],
)
def test_exceedance_is_strictly_above_the_limit(value, limit, expected) -> None:
    assert is_exceeded(value, limit) is expected


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2026, 5, 15), 24) == date(2028, 5, 15)


def test_next_exam_date_follows_the_interval() -> None:
    assert next_exam_due(ExamKind.PERIODIC, date(2026, 3, 31), 12) == date(2027, 3, 31)
    assert next_exam_due(ExamKind.PRE_EMPLOYMENT, date(2026, 3, 1), 24) == date(2028, 3, 1)
    assert next_exam_due(ExamKind.EXIT, date(2026, 3, 1), 12) is None
    assert next_exam_due(ExamKind.PERIODIC, date(2026, 3, 1), None) is None


def test_monitoring_result_is_flagged_on_save(demo_session: Session) -> None:
    h2s = _factor(demo_session, "CH-H2S")
    spec = get_spec("monitoring_result")
    raw = {"factor_id": h2s.id, "point": "罐区脱水口", "sampled_on": date(2026, 6, 1)}
    over = create_row(demo_session, spec, SYSTEM, raw | {"value": 12.5})
    under = create_row(demo_session, spec, SYSTEM, raw | {"value": 3.1})
    assert (over.exceeded, over.limit_value, over.unit) == (True, 10, "mg/m³")
    assert under.exceeded is False


def test_exam_gets_next_due_and_person_scope(demo_session: Session) -> None:
    noise = _factor(demo_session, "PH-NOISE")
    person = demo_session.exec(select(Person).order_by(Person.id)).first()
    raw = {"person_id": person.id, "kind": "periodic", "exam_date": date(2026, 3, 31),
           "factor_id": noise.id, "result": "normal", "follow_up": "none"}  # fmt: skip
    exam = create_row(demo_session, get_spec("health_exam"), SYSTEM, raw)
    assert exam.next_due == date(2027, 3, 31)
    assert (exam.enterprise_id, exam.department_id) == (person.enterprise_id, person.department_id)
    with pytest.raises(ValidationFailed):
        create_row(
            demo_session,
            get_spec("health_exam"),
            SYSTEM,
            raw | {"result": "suspected_occupational", "follow_up": "recheck"},
        )


def test_ppe_issue_next_due_from_the_item_cycle(demo_session: Session) -> None:
    helmet = demo_session.exec(select(PpeItem).where(PpeItem.code == "PPE-01")).one()
    person = demo_session.exec(select(Person).order_by(Person.id)).first()
    raw = {"person_id": person.id, "ppe_item_id": helmet.id, "quantity": 1,
           "issue_date": date(2026, 1, 10)}  # fmt: skip
    issue = create_row(demo_session, get_spec("ppe_issue"), SYSTEM, raw)
    assert issue.next_due == date(2028, 7, 10)  # 30 months


def test_demo_counts_at_s(run_generator) -> None:
    assert run_generator("health") == S_COUNTS


def test_demo_shape(demo_session: Session, run_generator) -> None:
    run_generator("health")
    results = demo_session.exec(select(MonitoringResult)).all()
    share = sum(r.exceeded for r in results) / len(results)
    assert 0.01 <= share <= 0.06, share
    assert all(r.exceeded == is_exceeded(r.value, r.limit_value) for r in results)
    exposures = demo_session.exec(select(FactorExposure)).all()
    benzene = _factor(demo_session, "CH-BENZ").id
    assert any(e.factor_id == benzene and e.exposed_count > 0 for e in exposures)
    exams = demo_session.exec(select(HealthExam)).all()
    assert {e.kind for e in exams} >= {ExamKind.PERIODIC, ExamKind.PRE_EMPLOYMENT}
    today = date(2026, 11, 24)
    assert any(i.next_due and i.next_due < today for i in demo_session.exec(select(PpeIssue)))


def _rows(session: Session, model: type) -> list[tuple]:
    skip = {"id", "created_at", "updated_at"}
    cols = [c.name for c in model.__table__.columns if c.name not in skip]
    rows = session.exec(select(model).order_by(model.id)).all()
    return [tuple(getattr(r, c) for c in cols) for r in rows]


def test_same_seed_gives_same_rows(demo_session: Session, run_generator) -> None:
    run_generator("health")
    first = {m: _rows(demo_session, m) for m in (MonitoringResult, HealthExam, PpeIssue)}
    run_generator("health")
    for model, rows in first.items():
        both = _rows(demo_session, model)
        assert both[len(rows) :] == rows, model.__name__


def test_health_metrics_feed_the_self_assessment(demo_session: Session, run_generator) -> None:
    run_generator("health")
    main = demo_session.exec(select(Enterprise).order_by(Enterprise.id)).first()
    today = date(2026, 11, 24)
    assert exposures_monitored(demo_session, main.id, today) == 1.0
    share = exams_up_to_date(demo_session, main.id, today)
    assert share is not None and 0.6 < share < 1.0  # ~10 % skipped their last exam
    template = create_row(demo_session, get_spec("assessment_template"), SYSTEM, {"name": "自评"})
    raw = {"template_id": template.id, "code": "4.4", "element": "现场管理", "requirement": "体检",
           "method": "auto", "metric": "health_exams_done", "max_score": 10.0}  # fmt: skip
    create_row(demo_session, get_spec("assessment_item"), SYSTEM, raw)
    assert auto_scores(demo_session, template.id, main.id, today) == {"4.4": round(10 * share, 2)}
