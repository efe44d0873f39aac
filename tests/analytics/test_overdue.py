"""Overdue is defined once (``core.hazard.overdue``): on the S demo the hazard list's
``f.overdue=1`` preset, the rule in SQLAlchemy and compiled for DuckDB, the cockpit KPI, the
hazard analysis page, the monthly report, the trend and the risk map's markers all count the
same hazards."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from analytics import hazard_stats, kpi, risk_map, risk_markers, trends
from analytics import reports as ar
from analytics.duck import Connection, condition, connect, scoped
from core.clock import local
from core.crud import url_filters
from core.crud.registry import get_spec
from core.crud.service import ListQuery, list_rows
from core.db import make_engine
from core.hazard.flow import HAZARD_FLOW
from core.hazard.overdue import is_overdue, overdue_clause
from core.rbac import Actor, actor_for
from models.accounts import User
from models.hazard import FINISHED_STATES, Hazard, HazardState
from models.org import Enterprise
from tests import demo_cache

ZONE = "Asia/Shanghai"


@dataclass
class Demo:
    session: Session
    con: Connection
    admin: Actor
    today: date


@pytest.fixture(scope="module")
def demo(run_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("overdue") / demo_cache.DB_FILE
    demo_cache.copy_database(demo_cache.demo_dir(run_root) / demo_cache.DB_FILE, path)
    engine = make_engine(f"sqlite:///{path}")
    con = connect(f"sqlite:///{path}")
    with Session(engine) as session:
        admin = actor_for(session, session.exec(select(User).where(User.username == "admin")).one())
        today = max(session.exec(select(Hazard.found_at)).all()).date() + timedelta(days=1)
        yield Demo(session, con, admin, today)
    con.close()
    engine.dispose()


def _preset_ids(demo: Demo) -> set[int]:
    spec = get_spec("hazard")
    linked = url_filters.parse(
        "hazard", spec.fields, {"f.overdue": "1"}, today=demo.today, zone=ZONE
    )
    query = ListQuery(filters=linked.filters, where=tuple(linked.where), page_size=100_000)
    return {row.id for row in list_rows(demo.session, spec, demo.admin, query).rows}


def test_every_place_counts_the_same_overdue_hazards(demo: Demo) -> None:
    ids = _preset_ids(demo)
    assert len(ids) >= 50, "the S demo keeps a realistic backlog of overdue hazards"

    by_rule = set(demo.session.exec(select(Hazard.id).where(overdue_clause(demo.today))).all())
    assert by_rule == ids

    rows = kpi.HAZARD_ROWS
    duck_sql = condition(overdue_clause(demo.today, rows))
    by_duck = demo.con.sql(
        f"SELECT r.id FROM {scoped('hazard', demo.admin)} r WHERE {duck_sql}"
    ).fetchall()
    assert {i for (i,) in by_duck} == ids, "the DuckDB SQL derived from the rule agrees"

    month = kpi.Period(demo.today.replace(day=1), demo.today)
    cockpit = kpi.cockpit(demo.con, demo.admin, month, demo.today, zone=ZONE, keys=("overdue",))
    assert cockpit.row(0, named=True)["value"] == len(ids)

    _rows, analysed = hazard_stats.overdue(
        demo.session, demo.admin, hazard_stats.HazardQuery(month.start, month.end), demo.today
    )
    assert analysed == len(ids)

    report = ar.hazard_levels(demo.con, demo.admin, month, demo.today, zone=ZONE)
    assert report["overdue"].sum() == len(ids)


def test_the_trend_counts_them_with_the_ones_closed_late(demo: Demo) -> None:
    """The trend's "overdue at deadline" is the same rule taken the day after each deadline:
    the hazards overdue now, plus those closed on a later day than their deadline."""
    hazards = demo.session.exec(select(Hazard).where(col(Hazard.deadline).is_not(None))).all()
    closed_late = {
        h.id
        for h in hazards
        if h.state == HazardState.CLOSED
        and h.deleted_at is None
        and h.deadline < demo.today
        and h.closed_at is not None
        and local(h.closed_at).date() > h.deadline
    }
    first = min(h.deadline for h in hazards)
    counted = trends.series(
        demo.con, demo.admin, "hazards_overdue", "month", first, demo.today, zone=ZONE,
        today=demo.today,
    )  # fmt: skip
    assert counted["count"].sum() == len(_preset_ids(demo)) + len(closed_late)


def test_the_map_flags_the_same_hazards(demo: Demo) -> None:
    ids = _preset_ids(demo)
    shown: set[int] = set()
    flagged: set[int] = set()
    for enterprise_id in demo.session.exec(select(Enterprise.id)).all():
        f = risk_map.MapFilter(enterprise_id=enterprise_id)
        markers = risk_markers.hazard_markers(demo.session, demo.admin, f, "zh-CN", demo.today)
        shown |= set(markers["hazard_id"].to_list())
        flagged |= set(markers.filter(markers["overdue"])["hazard_id"].to_list())
    assert flagged == ids & shown
    assert len(ids & shown) >= len(ids) // 2, "most overdue hazards have a place on the plan"


def test_the_python_check_and_the_workflow_badge_agree(demo: Demo) -> None:
    """A loaded hazard's check, and the "overdue N days" badge of its workflow panel."""
    hazards = demo.session.exec(select(Hazard).where(col(Hazard.deleted_at).is_(None))).all()
    ids = _preset_ids(demo)
    assert {h.id for h in hazards if is_overdue(h.deadline, h.state, demo.today)} == ids
    late = {h.id for h in hazards if (HAZARD_FLOW.days_late(h, demo.today) or 0) > 0}
    assert late == ids
    assert set(FINISHED_STATES) == HAZARD_FLOW.finished
