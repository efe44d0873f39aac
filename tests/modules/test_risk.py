"""Risk module: the scoring rules, the shipped reference lists and the demo risk list.

Band edges and scheme versioning are in ``test_scoring.py``, dynamic risk in
``test_dynamic_risk.py``.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from core.crud.registry import get_spec
from core.crud.service import ListQuery, ValidationFailed, create_row, list_rows, update_row
from core.rbac import SYSTEM
from core.risk.scoring import Band, lec_score, level_for, ls_score, shipped_bands
from models.enums import RiskLevel
from models.org import Area, Enterprise
from models.risk import AnalysisKind, LecFactor, LsFactor, RiskLevelRule, ScoringScheme
from models.risk_inspection import InspectionTask, InspectionTaskState
from models.risk_register import RiskAnalysisItem, RiskMeasure, RiskPoint, RiskUnit
from tests.factories import Org, Users, make

BANDS = shipped_bands()


@pytest.mark.parametrize(
    ("l", "e", "c", "d", "level"),
    [
        (10, 6, 15, 900, RiskLevel.MAJOR),
        (6, 6, 15, 540, RiskLevel.MAJOR),
        (3, 6, 15, 270, RiskLevel.SIGNIFICANT),
        (10, 2, 16, 320, RiskLevel.SIGNIFICANT),  # 320 is the band's inclusive top
        (3, 6, 7, 126, RiskLevel.GENERAL),
        (10, 1, 7, 70, RiskLevel.LOW),  # 70 is not above 70
        (1, 6, 7, 42, RiskLevel.LOW),
        (0.1, 6, 15, 9, RiskLevel.LOW),
    ],
)
def test_lec_score_and_level(l, e, c, d, level) -> None:  # noqa: E741
    assert lec_score(l, e, c) == d
    assert level_for("lec", lec_score(l, e, c), BANDS) == level


@pytest.mark.parametrize(
    ("l", "s", "level"),
    [
        (5, 5, "major"),
        (4, 5, "major"),
        (4, 4, "significant"),
        (3, 5, "significant"),
        (3, 4, "general"),
        (3, 3, "general"),
        (2, 4, "low"),
        (1, 1, "low"),
    ],
)
def test_ls_matrix_levels(l, s, level) -> None:  # noqa: E741
    assert level_for("ls", ls_score(l, s), BANDS) == level


def test_level_bands_are_configuration() -> None:
    """An enterprise using the 400/200/70 variant gets other levels from the same score."""
    strict = [Band("lec", "major", 400, None), Band("lec", "significant", 200, 400)]
    assert level_for("lec", 360, strict) == RiskLevel.SIGNIFICANT
    assert level_for("lec", 360, BANDS) == RiskLevel.MAJOR


def test_reference_lists_are_loaded(demo_session: Session) -> None:
    def count(model, **where) -> int:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return demo_session.exec(stmt).one()

    assert count(LecFactor, factor="L") == 7
    assert count(LecFactor, factor="E") == 6
    assert count(LecFactor, factor="C") == 6
    assert count(LsFactor) == 10
    assert count(RiskLevelRule) == 8
    assert count(ScoringScheme) == 2
    c15 = demo_session.exec(select(LecFactor).where(LecFactor.code == "C15")).one()
    assert c15.value == 15 and "1～2人死亡" in c15.meaning
    major = demo_session.exec(select(RiskLevelRule).where(RiskLevelRule.code == "LEC-major")).one()
    assert major.min_exclusive == 320 and major.max_inclusive is None


def _unit(session: Session) -> int:
    ent = session.exec(select(Enterprise)).first()
    area = session.exec(select(Area).where(Area.enterprise_id == ent.id)).first()
    spec = get_spec("risk_unit")
    unit = create_row(
        session, spec, SYSTEM, {"name": "试验单元", "enterprise_id": ent.id, "area_id": area.id}
    )
    return unit.id


def test_point_scores_are_computed_on_save(demo_session: Session) -> None:
    spec = get_spec("risk_point")
    raw = {
        "name": "钢丝绳",
        "unit_id": _unit(demo_session),
        "scoring": "lec",
        **{"inherent_l": 6, "inherent_e": 6, "inherent_c": 15},
        **{"residual_l": 3, "residual_e": 6, "residual_c": 7},
    }
    point = create_row(demo_session, spec, SYSTEM, raw)
    assert (point.inherent_d, point.inherent_level) == (540, RiskLevel.MAJOR)
    assert (point.residual_d, point.residual_level) == (126, RiskLevel.GENERAL)
    assert point.current_level == RiskLevel.GENERAL
    lec1 = demo_session.exec(select(ScoringScheme).where(ScoringScheme.code == "LEC-1")).one()
    assert point.scheme_id == lec1.id
    typed = update_row(demo_session, spec, SYSTEM, point.id, {"current_level": "significant"})
    assert typed.current_level == RiskLevel.GENERAL  # only hazards raise it (dynamic risk)
    ls = create_row(
        demo_session,
        spec,
        SYSTEM,
        {
            **raw,
            "scoring": "ls",
            "inherent_ls_l": 4,
            "inherent_ls_s": 5,
            "residual_ls_l": 2,
            "residual_ls_s": 5,
        },
    )
    assert (ls.inherent_r, ls.inherent_level, ls.residual_r, ls.residual_level) == (
        20,
        RiskLevel.MAJOR,
        10,
        RiskLevel.GENERAL,
    )


def test_a_value_outside_the_lec_table_is_refused(demo_session: Session) -> None:
    raw = {
        "name": "吊钩",
        "unit_id": _unit(demo_session),
        "scoring": "lec",
        **{"inherent_l": 7, "inherent_e": 6, "inherent_c": 15},
        **{"residual_l": 3, "residual_e": 6, "residual_c": 7},
    }
    with pytest.raises(ValidationFailed) as exc:
        create_row(demo_session, get_spec("risk_point"), SYSTEM, raw)
    (problem,) = exc.value.problems
    assert problem.field == "inherent_l" and problem.key == "validation.risk_factor_value"
    message = problem.message("zh-CN")
    assert "7" in message and "10 / 6 / 3 / 1 / 0.5" in message


def test_demo_risk_list_matches_the_seed(run_generator, demo_session: Session) -> None:
    counts = run_generator("risk")
    main = demo_session.exec(
        select(Enterprise).where(Enterprise.code == "91310115MA1H7HD01X")
    ).one()
    by_level = dict(
        demo_session.exec(
            select(RiskPoint.residual_level, func.count())
            .where(RiskPoint.enterprise_id == main.id)
            .group_by(RiskPoint.residual_level)
        ).all()
    )
    assert by_level == {
        RiskLevel.MAJOR: 342,
        RiskLevel.SIGNIFICANT: 981,
        RiskLevel.GENERAL: 5104,
        RiskLevel.LOW: 8117,
    }
    units = demo_session.exec(
        select(func.count()).select_from(RiskUnit).where(RiskUnit.enterprise_id == main.id)
    ).one()
    assert units == 120
    assert counts["risk_point"] > 14544  # the other enterprises have a few hundred
    assert 1.5 <= counts["risk_measure"] / counts["risk_point"] <= 2.5
    assert 3500 <= counts["inspection_task"] <= 5000
    assert counts["risk_analysis_item"] >= 3 * (342 + 981)
    kinds = dict(
        demo_session.exec(
            select(RiskAnalysisItem.kind, func.count()).group_by(RiskAnalysisItem.kind)
        ).all()
    )
    assert kinds[AnalysisKind.JHA_STEP] > 0 and kinds[AnalysisKind.SCL_ITEM] > 0
    unscored = select(func.count()).select_from(RiskPoint).where(RiskPoint.scheme_id.is_(None))
    assert demo_session.exec(unscored).one() == 0
    raised = select(func.count()).select_from(RiskPoint)
    raised = raised.where(RiskPoint.current_level != RiskPoint.residual_level)
    assert demo_session.exec(raised).one() == 0  # hazards (and raised levels) come later
    overdue = demo_session.exec(
        select(func.count())
        .select_from(InspectionTask)
        .where(InspectionTask.state == InspectionTaskState.OVERDUE)
    ).one()
    assert overdue > 0
    _scores_agree_with_the_rules(demo_session)


def _scores_agree_with_the_rules(demo_session: Session) -> None:
    """The demo computes through the same functions as the form."""
    for p in demo_session.exec(select(RiskPoint).limit(2000)):
        if p.scoring == "lec":
            assert p.residual_d == lec_score(p.residual_l, p.residual_e, p.residual_c)
            assert level_for("lec", p.residual_d, BANDS) == p.residual_level
            assert p.inherent_d >= p.residual_d
        else:
            assert level_for("ls", p.residual_r, BANDS) == p.residual_level
    measured = demo_session.exec(select(func.count(func.distinct(RiskMeasure.point_id)))).one()
    assert measured == demo_session.exec(select(func.count()).select_from(RiskPoint)).one()


def _snapshot(session: Session) -> list[tuple]:
    points = session.exec(
        select(RiskPoint.name, RiskPoint.residual_d, RiskPoint.residual_level).order_by(
            RiskPoint.id
        )
    ).all()
    tasks = session.exec(
        select(InspectionTask.name, InspectionTask.state, InspectionTask.done_at).order_by(
            InspectionTask.id
        )
    ).all()
    return [*points, *tasks]


def test_same_seed_same_rows(demo_engine) -> None:
    from datetime import date

    from core.demogen import generate_all

    snapshots = []
    for _ in range(2):
        with demo_engine.connect() as connection:
            transaction = connection.begin()
            session = Session(bind=connection)
            generate_all(
                session,
                seed=7,
                scale="S",
                today=date(2026, 11, 24),
                progress=lambda _f, _m: None,
                only={"risk"},
            )
            snapshots.append(_snapshot(session))
            session.close()
            transaction.rollback()
    assert snapshots[0] == snapshots[1]


def test_identification_lines_follow_their_point(session: Session, org: Org, users: Users) -> None:
    """A JHA / SCL line takes its point's scope and kind; others cannot attach lines to a
    point they cannot see."""
    unit_a = make(session, "risk_unit", name="机修单元", enterprise_id=org.ent1,
                  department_id=org.dept_a)  # fmt: skip
    factors = {"inherent_l": 6, "inherent_e": 6, "inherent_c": 7}
    factors |= {"residual_l": 3, "residual_e": 6, "residual_c": 7}
    point = make(session, "risk_point", name="检修作业", unit_id=unit_a.id, method="jha",
                 department_id=org.dept_a, enterprise_id=org.ent1, **factors)  # fmt: skip
    spec = get_spec("risk_analysis_item")
    line = create_row(
        session,
        spec,
        users.inspector_a,
        {"point_id": point.id, "seq": 1, "step_or_item": "停机挂牌", "hazard": "误启动"},
    )
    assert (line.enterprise_id, line.department_id) == (org.ent1, org.dept_a)
    assert line.kind == AnalysisKind.JHA_STEP
    seen_by_b = list_rows(session, spec, users.inspector_b, ListQuery()).rows
    assert line.id not in {r.id for r in seen_by_b}
    with pytest.raises(ValidationFailed) as exc:
        create_row(
            session,
            spec,
            users.inspector_b,
            {"point_id": point.id, "seq": 2, "step_or_item": "试车", "hazard": "卷入"},
        )
    assert exc.value.problems[0].key == "validation.fk_missing"
