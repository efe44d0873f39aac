"""Cockpit KPIs over a data set small enough to count by hand (May 2030, Shanghai = UTC+8),
committed so that DuckDB can read it. Today is 31 May 2030; the previous period is the 31 days
before (31 March – 30 April).

Hazards (enterprise 1):

| id  | found (local)     | dept | state      | deadline | closed (local) | rectified | days  |
|-----|-------------------|------|------------|----------|----------------|-----------|-------|
| h1  | 05-02 10:00       | A    | closed     | 05-10    | 05-09 10:00    | 05-08     | 6.0   |
| h2  | 05-03 10:00       | B    | closed     | 05-05    | 05-06 01:00    |           | 2.625 |
| h3  | 05-04 10:00       | B    | closed     |          | 05-07 10:00    |           | 3.0   |
| h4  | 05-10 10:00       | A    | rectifying | 05-20    |                |           |       |
| h5  | 05-11 10:00       | B    | rejected   |          |                |           |       |
| h6  | 05-12 10:00       | A    | voided     |          |                |           |       |
| h7  | 05-01 00:30       | B    | reported   |          |                |           |       |
| h10 | 05-15 10:00       | A    | rectifying | 05-25    |                |           |       |
| h8  | 04-10 10:00       | A    | closed     | 04-20    | 05-05 10:00    |           | 25.0  |
| h8b | 04-30 23:30       | A    | reported   |          |                |           |       |
| h9  | 03-31 00:30       | B    | reported   | 04-15    |                |           |       |

May: found 8, counted 6 (h5, h6 out), closed 3 → 50.0 %; on time 1 of 2 with a deadline →
50.0 %; rectification (6 + 2.625 + 3) / 3 → 3.9 days. Previous: closed 1 of 3 → 33.3 %, on
time 0 of 1, 25.0 days. Overdue today: h4, h9, h10; on 1 May: h8 (closed later), h9.
Department A alone: closed 1 of 3 → 33.3 %, on time 1 of 1, 6.0 days, overdue h4, h10.

Training: active people of enterprise 1 hired by 31 May are the world's three (张伟, 李娜 in A,
王强 in B) plus p1 (A) and p4 (B); p2 has left, p3 joins in June. Passed in May: 张伟 (twice)
and 王强; p1 failed, p4 was absent, p2 passed but has left → 2 / 5 = 40.0 %, department A
1 / 3. In April p4 passed → 20.0 %. Exams in May, first attempts submitted: 张伟 passed, 李娜
failed (her retake passed), 王强 passed, p1 never submitted → 2 / 3 = 66.7 %; A: 1 / 2.

Certificates expiring 31 May – 30 June: c1 (A, 06-15), c2 (B, 06-30); c3 (07-01) is later and
c4 (05-30) has already expired; on 1 May the window holds c4 only.

Emergency: approved plans P1 (comprehensive, last drill 2029-12-01: within a year), P2 (on-site,
2029-11-01: 211 days, over half a year) and P3 (special, only a cancelled drill) → 1 / 3 on
schedule; on 1 May P2 was at 181 days → 2 / 3. A draft plan does not count. Supplies: one
expired on 30 May, one below its minimum, one in order → 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics import hazard_stats as hs
from analytics import kpi, ranking
from analytics.duck import Connection, connect
from models.emergency import EmergencyPlan, EmergencyPlanKind, EmergencyPlanState
from models.emergency_drill import Drill, DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyCategory
from models.enums import PersonStatus
from models.hazard import Hazard, HazardState
from models.org import Certificate, Person
from models.training import TrainingCourse, TrainingRecord, TrainingResult
from models.training_exam import ExamPaper, ExamRecord
from tests.factories import Org, Users, serial

PERIOD = kpi.Period(date(2030, 5, 1), date(2030, 5, 31))
TODAY = date(2030, 5, 31)
ZONE = "Asia/Shanghai"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass(frozen=True)
class Data:
    con: Connection
    org: Org


def _hazards(org: Org) -> list[Hazard]:
    a, b, closed = org.dept_a, org.dept_b, HazardState.CLOSED
    rect = HazardState.RECTIFYING
    rows = [
        dict(department_id=a, found_at=utc(2030, 5, 2, 2), state=closed,
             deadline=date(2030, 5, 10), closed_at=utc(2030, 5, 9, 2),
             rectified_at=utc(2030, 5, 8, 2)),
        dict(department_id=b, found_at=utc(2030, 5, 3, 2), state=closed,
             deadline=date(2030, 5, 5), closed_at=utc(2030, 5, 5, 17)),
        dict(department_id=b, found_at=utc(2030, 5, 4, 2), state=closed,
             closed_at=utc(2030, 5, 7, 2)),
        dict(department_id=a, found_at=utc(2030, 5, 10, 2), state=rect,
             deadline=date(2030, 5, 20)),
        dict(department_id=b, found_at=utc(2030, 5, 11, 2), state=HazardState.REJECTED),
        dict(department_id=a, found_at=utc(2030, 5, 12, 2), state=HazardState.VOIDED),
        dict(department_id=b, found_at=utc(2030, 4, 30, 16, 30)),
        dict(department_id=a, found_at=utc(2030, 5, 15, 2), state=rect,
             deadline=date(2030, 5, 25)),
        dict(department_id=a, found_at=utc(2030, 4, 10, 2), state=closed,
             deadline=date(2030, 4, 20), closed_at=utc(2030, 5, 5, 2)),
        dict(department_id=a, found_at=utc(2030, 4, 30, 15, 30)),
        dict(department_id=b, found_at=utc(2030, 3, 30, 16, 30), deadline=date(2030, 4, 15)),
    ]  # fmt: skip
    return [
        Hazard(enterprise_id=org.ent1, number=f"K-{serial():06d}", title="kpi", **values)
        for values in rows
    ]


def _training(s: Session, org: Org) -> None:
    a, b = org.dept_a, org.dept_b

    def person(dept: int, **values: object) -> int:
        p = Person(enterprise_id=org.ent1, department_id=dept, name=f"K{serial()}", **values)
        s.add(p)
        s.flush()
        assert p.id is not None
        return p.id

    p1, p4 = person(a), person(b)
    p2 = person(a, status=PersonStatus.LEFT)
    person(b, hired_on=date(2030, 6, 15))
    course = TrainingCourse(enterprise_id=org.ent1, name="三级安全教育")
    s.add(course)
    s.flush()
    dept = {org.person_a: a, org.person_a2: a, org.person_b: b, p1: a, p2: a, p4: b}
    records = [
        (org.person_a, date(2030, 5, 10), TrainingResult.PASSED),
        (org.person_a, date(2030, 5, 20), TrainingResult.PASSED),
        (p1, date(2030, 5, 11), TrainingResult.FAILED),
        (org.person_b, date(2030, 5, 12), TrainingResult.PASSED),
        (p2, date(2030, 5, 12), TrainingResult.PASSED),
        (p4, date(2030, 5, 13), TrainingResult.ABSENT),
        (p4, date(2030, 4, 15), TrainingResult.PASSED),
    ]
    for who, day, result in records:
        s.add(
            TrainingRecord(
                enterprise_id=org.ent1,
                department_id=dept[who],
                person_id=who,
                course_id=course.id,
                trained_on=day,
                result=result,
            )
        )
    paper = ExamPaper(enterprise_id=org.ent1, name="入厂考试")
    s.add(paper)
    s.flush()
    exams = [
        (org.person_a, 1, True, True),
        (org.person_a2, 1, False, True),
        (org.person_a2, 2, True, True),
        (org.person_b, 1, True, True),
        (p1, 1, False, False),
    ]
    for who, attempt, passed, submitted in exams:
        start = utc(2030, 5, 20, 2)
        s.add(
            ExamRecord(
                enterprise_id=org.ent1,
                department_id=dept[who],
                exam_no=f"X{serial()}",
                paper_id=paper.id,
                person_id=who,
                attempt=attempt,
                started_at=start,
                submitted_at=start if submitted else None,
                score=90 if passed else 40,
                passed=passed,
            )
        )
    certificates = [
        (org.person_a, a, date(2030, 6, 15)),
        (org.person_b, b, date(2030, 6, 30)),
        (org.person_b, b, date(2030, 7, 1)),
        (org.person_a, a, date(2030, 5, 30)),
    ]
    for who, d, expires in certificates:
        s.add(
            Certificate(
                enterprise_id=org.ent1,
                department_id=d,
                person_id=who,
                number=f"KC{serial()}",
                expires_on=expires,
            )
        )


def _emergency(s: Session, org: Org) -> None:
    kinds = EmergencyPlanKind
    approved = EmergencyPlanState.APPROVED
    plans = [
        (kinds.COMPREHENSIVE, approved, date(2029, 12, 1), DrillState.EVALUATED),
        (kinds.ON_SITE, approved, date(2029, 11, 1), DrillState.HELD),
        (kinds.SPECIAL, approved, date(2030, 5, 10), DrillState.CANCELLED),
        (kinds.SPECIAL, EmergencyPlanState.DRAFT, None, None),
    ]
    for kind, state, held, drill_state in plans:
        plan = EmergencyPlan(enterprise_id=org.ent1, name=f"预案{serial()}", kind=kind, state=state)
        s.add(plan)
        s.flush()
        if held is not None and drill_state is not None:
            s.add(
                Drill(
                    enterprise_id=org.ent1,
                    plan_id=plan.id,
                    name="演练",
                    planned_on=held,
                    held_on=held,
                    state=drill_state,
                )
            )
    n = serial()
    category = EmergencySupplyCategory(code=f"K{n}", name=f"灭火器{n}", name_en=f"Ext{n}")
    s.add(category)
    s.flush()
    for quantity, minimum, expires in ((5, 1, date(2030, 5, 30)), (1, 2, None), (3, 2, None)):
        s.add(
            EmergencySupply(
                enterprise_id=org.ent1,
                category_id=category.id,
                name="物资",
                quantity=quantity,
                min_stock=minimum,
                expires_on=expires,
            )
        )


@pytest.fixture(scope="module")
def data(engine: Engine, world: tuple[Org, Users]) -> Iterator[Data]:
    org = world[0]
    with Session(engine) as s:
        s.add_all(_hazards(org))
        _training(s, org)
        _emergency(s, org)
        s.commit()
    con = connect(engine.url.render_as_string(hide_password=False))
    yield Data(con, org)
    con.close()


def _figures(data: Data, actor, **kw) -> dict[str, dict]:
    frame = kpi.cockpit(data.con, actor, PERIOD, TODAY, zone=ZONE, **kw)
    return {row["key"]: row for row in frame.iter_rows(named=True)}


def test_period_and_its_previous() -> None:
    assert PERIOD.days == 31
    assert PERIOD.previous == kpi.Period(date(2030, 3, 31), date(2030, 4, 30))
    assert kpi.Period.preset("quarter", date(2030, 5, 31)) == kpi.Period(
        date(2030, 4, 1), date(2030, 5, 31)
    )
    assert kpi.Period.preset("year", TODAY).start == date(2030, 1, 1)
    assert PERIOD.snapshot_day(date(2030, 7, 4)) == date(2030, 6, 1)
    with pytest.raises(ValueError):
        kpi.Period(date(2030, 5, 2), date(2030, 5, 1))


def test_every_kpi_has_a_row_in_order(data: Data, users: Users) -> None:
    frame = kpi.cockpit(data.con, users.admin, PERIOD, TODAY, zone=ZONE)

    assert frame["key"].to_list() == [k.key for k in kpi.KPIS]
    assert set(frame["unit"]) <= {"pct", "count", "days", "per_day"}
    assert set(frame["direction"]) <= {"up", "down", "none"}


def test_hazard_kpis_match_the_hand_count(data: Data, users: Users) -> None:
    f = _figures(data, users.admin, enterprise_id=data.org.ent1)

    assert (f["closure_rate"]["value"], f["closure_rate"]["previous"]) == (50.0, 33.3)
    assert (f["closure_rate"]["part"], f["closure_rate"]["whole"]) == (3, 6)
    assert (f["on_time_rate"]["value"], f["on_time_rate"]["previous"]) == (50.0, 0.0)
    assert (f["rectification_days"]["value"], f["rectification_days"]["previous"]) == (3.9, 25.0)
    assert (f["overdue"]["value"], f["overdue"]["previous"]) == (3, 2)


def test_hazard_kpis_agree_with_the_hazard_analysis_page(
    data: Data, engine: Engine, users: Users
) -> None:
    f = _figures(data, users.admin, enterprise_id=data.org.ent1)
    query = hs.HazardQuery(PERIOD.start, PERIOD.end, enterprise_id=data.org.ent1, zone=ZONE)
    with Session(engine) as session:
        rates = hs.rates(session, users.admin, query)
        _, overdue = hs.overdue(session, users.admin, query, TODAY)

    assert f["closure_rate"]["value"] == rates.closure_rate
    assert f["on_time_rate"]["value"] == rates.on_time_rate
    assert f["rectification_days"]["value"] == rates.avg_days
    assert f["overdue"]["value"] == overdue


def test_training_kpis_match_the_hand_count(data: Data, users: Users) -> None:
    f = _figures(data, users.admin, enterprise_id=data.org.ent1)

    assert (f["training_coverage"]["part"], f["training_coverage"]["whole"]) == (2, 5)
    assert (f["training_coverage"]["value"], f["training_coverage"]["previous"]) == (40.0, 20.0)
    assert (f["first_pass_rate"]["part"], f["first_pass_rate"]["whole"]) == (2, 3)
    assert f["first_pass_rate"]["value"] == 66.7
    assert f["first_pass_rate"]["previous"] is None, "no exam in April: no rate, not 0 %"
    assert (f["expiring_certificates"]["value"], f["expiring_certificates"]["previous"]) == (2, 1)


def test_a_department_scoped_actor_gets_its_department(data: Data, users: Users) -> None:
    f = _figures(data, users.inspector_a)

    assert (f["closure_rate"]["part"], f["closure_rate"]["whole"]) == (1, 3)
    assert f["closure_rate"]["value"] == 33.3
    assert f["on_time_rate"]["value"] == 100.0
    assert f["rectification_days"]["value"] == 6.0
    assert f["overdue"]["value"] == 2
    assert (f["training_coverage"]["part"], f["training_coverage"]["whole"]) == (1, 3)
    assert f["first_pass_rate"]["value"] == 50.0
    assert f["expiring_certificates"]["value"] == 1


def test_another_enterprise_sees_none_of_it(data: Data, users: Users) -> None:
    f = _figures(data, users.admin, enterprise_id=data.org.ent2)

    assert f["closure_rate"]["value"] is None
    assert f["overdue"]["value"] == 0
    assert f["expiring_certificates"]["value"] == 0


def test_emergency_kpis_match_the_hand_count(data: Data, users: Users) -> None:
    keys = ("drills_on_schedule", "supplies_attention")
    f = _figures(data, users.admin, enterprise_id=data.org.ent1, keys=keys)

    assert list(f) == list(keys)
    drills = f["drills_on_schedule"]
    assert (drills["part"], drills["whole"], drills["value"]) == (1, 3, 33.3)
    assert drills["previous"] == 66.7
    assert f["supplies_attention"]["value"] == 2
    assert f["supplies_attention"]["previous"] is None, "stock keeps no history"


# --- the park ranking: August 2030, by hand ----------------------------------------------------
#
# | ent | dept | found (local) | state      | deadline | closed (local) |
# |-----|------|---------------|------------|----------|----------------|
# | 1   | A    | 08-02 10:00   | closed     | 08-10    | 08-09 10:00    |
# | 1   | A    | 08-03 10:00   | rectifying | 08-20    |                |
# | 1   | B    | 08-04 10:00   | closed     | 08-05    | 08-08 10:00    |
# | 2   | E2   | 08-02 10:00   | closed     | 08-10    | 08-03 10:00    |
# | 2   | E2   | 08-05 10:00   | closed     | 08-10    | 08-06 10:00    |
#
# Enterprise 1: closed 2 / 3 → 66.7 %, on time 1 / 2 → 50.0 %, overdue on 31 Aug: May's h4,
# h9, h10 and the August one → 4; nobody trained in August among its six active people → 0 %;
# score (66.7 + 50 + 0 + (100 − 40) + 100 + 100) / 6 = 62.8. Enterprise 2: 100 %, 100 %, no
# overdue, its one person untrained → 0 %; score 500 / 6 = 83.3 → first. Department A alone:
# closed 1 / 2, on time 1 / 1, overdue h4, h10 and the August one → 3.
AUGUST = kpi.Period(date(2030, 8, 1), date(2030, 8, 31))


@pytest.fixture(scope="module")
def august(data: Data, engine: Engine) -> Data:
    org, closed, rect = data.org, HazardState.CLOSED, HazardState.RECTIFYING
    rows = [
        (org.ent1, org.dept_a, utc(2030, 8, 2, 2), closed, date(2030, 8, 10), utc(2030, 8, 9, 2)),
        (org.ent1, org.dept_a, utc(2030, 8, 3, 2), rect, date(2030, 8, 20), None),
        (org.ent1, org.dept_b, utc(2030, 8, 4, 2), closed, date(2030, 8, 5), utc(2030, 8, 8, 2)),
        (org.ent2, org.dept_e2, utc(2030, 8, 2, 2), closed, date(2030, 8, 10), utc(2030, 8, 3, 2)),
        (org.ent2, org.dept_e2, utc(2030, 8, 5, 2), closed, date(2030, 8, 10), utc(2030, 8, 6, 2)),
    ]  # fmt: skip
    with Session(engine) as s:
        for ent, dept, found, state, deadline, closed_at in rows:
            s.add(
                Hazard(
                    enterprise_id=ent,
                    department_id=dept,
                    number=f"R-{serial():06d}",
                    title="ranking",
                    found_at=found,
                    state=state,
                    deadline=deadline,
                    closed_at=closed_at,
                )
            )
        s.commit()
    return data


def test_score_states_its_formula() -> None:
    figures = {
        "closure_rate": 80.0,
        "on_time_rate": None,
        "training_coverage": 50.0,
        "overdue": 12,
        "incidents": 1,
        "violation_rate": 0.5,
    }
    parts = ranking.components(figures)
    assert parts == {
        "closure_rate": 80.0,
        "on_time_rate": None,  # nothing to count: left out
        "training_coverage": 50.0,
        "overdue": round(100 * 10 / 22, 1),
        "incidents": 80.0,
        "violation_rate": round(100 * 10 / 10.5, 1),
    }
    assert ranking.score(figures) == round(sum(p for p in parts.values() if p) / 5, 1)
    assert ranking.score(dict.fromkeys(ranking.RANKED)) is None


def test_more_overdue_hazards_never_score_better_on_that_component() -> None:
    """113 and 11 overdue hazards both scored 0 before, so training coverage ranked the plant
    with 113 first; now each further hazard lowers the component and the better plant wins."""
    base = {"closure_rate": 60.0, "on_time_rate": 60.0, "incidents": 0, "violation_rate": 0}
    counts = [0, 1, 9, 10, 11, 30, 113, 1000]
    points = [ranking.components({**base, "training_coverage": 50.0, "overdue": n})["overdue"]
              for n in counts]  # fmt: skip
    assert points == sorted(points, reverse=True) and len(set(points)) == len(points)
    bad = {**base, "overdue": 113, "training_coverage": 95.0}
    good = {**base, "overdue": 11, "training_coverage": 80.0}
    assert ranking.score(good) > ranking.score(bad)


def test_park_ranking_orders_the_enterprises(august: Data, users: Users) -> None:
    frame = ranking.ranking(august.con, users.park_supervisor, AUGUST, date(2030, 8, 31), zone=ZONE)
    rows = {r["enterprise_id"]: r for r in frame.iter_rows(named=True)}

    assert frame["enterprise_id"].to_list() == [august.org.ent2, august.org.ent1]
    assert frame["rank"].to_list() == [1, 2]
    one, two = rows[august.org.ent1], rows[august.org.ent2]
    assert (one["closure_rate"], one["on_time_rate"], one["overdue"]) == (66.7, 50.0, 4)
    assert (one["incidents"], one["violation_rate"], one["training_coverage"]) == (0, 0.0, 0.0)
    assert (one["overdue_points"], one["training_coverage_points"]) == (71.4, 0.0)
    assert one["score"] == round((66.7 + 50 + 0 + 71.4 + 100 + 100) / 6, 1)
    assert (two["closure_rate"], two["on_time_rate"], two["overdue"], two["score"]) == (
        100.0,
        100.0,
        0,
        83.3,
    )


def test_a_department_head_ranks_only_their_department(august: Data, users: Users) -> None:
    frame = ranking.ranking(august.con, users.inspector_a, AUGUST, date(2030, 8, 31), zone=ZONE)

    assert frame["enterprise_id"].to_list() == [august.org.ent1]
    row = frame.row(0, named=True)
    assert (row["closure_rate"], row["on_time_rate"], row["overdue"], row["rank"]) == (
        50.0,
        100.0,
        3,
        1,
    )
