"""Dashboards: own and shared visibility, owner-only changes, chart order, pinning the console's
query (reusing a saved query with the same text), a deleted query, limits and the audit trail."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from analytics.datasets import ChartSpec
from core.rbac import Actor
from core.reporting.dashboards import (
    CHARTS_MAX,
    InvalidDashboard,
    QueryPlot,
    add_chart,
    chart_query,
    charts,
    create_dashboard,
    delete_dashboard,
    move_chart,
    pin_query,
    pin_sql,
    remove_chart,
    update_chart,
    update_dashboard,
    visible_dashboards,
)
from core.reporting.saved_queries import delete_query, save_query, visible_queries
from models.analytics import Dashboard
from models.system import AuditEntry
from tests.factories import Users, serial

BAR = QueryPlot("bar", "name", "n")


def _analyst(actor: Actor) -> Actor:
    return replace(actor, grants=actor.grants | {("analytics", "view")})


def _board(engine: Engine, actor: Actor, shared: bool = False) -> int:
    with Session(engine) as s:
        board = create_dashboard(s, actor, f"看板{serial()}", shared)
        s.commit()
        return board.id or 0


def _titles(engine: Engine, board: int) -> list[str]:
    with Session(engine) as s:
        return [c.title for c in charts(s, board)]


def _refused(engine: Engine, key: str, action, *args, **kw) -> None:
    with Session(engine) as s, pytest.raises(InvalidDashboard) as caught:
        action(s, *args, **kw)
    assert caught.value.key == key


def test_private_and_shared_dashboards_reach_the_right_people(engine: Engine, users: Users) -> None:
    private = _board(engine, users.safety_head)
    shared = _board(engine, users.safety_head, shared=True)
    with Session(engine) as s:
        own = {b.id for b in visible_dashboards(s, users.safety_head)}
        colleague = {b.id for b in visible_dashboards(s, _analyst(users.inspector_a))}
        park = {b.id for b in visible_dashboards(s, users.park_supervisor)}
    assert {private, shared} <= own
    assert shared in colleague and private not in colleague, "department scope still sees it"
    assert shared in park and private not in park


def test_names_are_checked_and_unique_per_owner(engine: Engine, users: Users) -> None:
    board = _board(engine, users.safety_head)
    with Session(engine) as s:
        name = s.get(Dashboard, board).name
    _refused(engine, "dashboard.name_taken", create_dashboard, users.safety_head, name)
    _refused(engine, "dashboard.bad_name", create_dashboard, users.safety_head, "  ")
    _refused(engine, "dashboard.bad_name", create_dashboard, users.safety_head, "x" * 101)
    with Session(engine) as s:
        create_dashboard(s, users.admin, name)  # another owner may use it
        s.commit()


def test_only_the_owner_changes_a_shared_dashboard(engine: Engine, users: Users) -> None:
    board = _board(engine, users.safety_head, shared=True)
    spec = ChartSpec("hazards")
    with Session(engine) as s:
        chart = add_chart(s, users.safety_head, board, "隐患趋势", spec)
        s.commit()
        chart_id = chart.id
    other = users.park_supervisor
    key = "dashboard.not_owner"
    _refused(engine, key, add_chart, other, board, "mine now", spec)
    _refused(engine, key, move_chart, other, chart_id, 1)
    _refused(engine, key, remove_chart, other, chart_id)
    _refused(engine, key, update_dashboard, other, board, name="x", shared=False)
    _refused(engine, key, delete_dashboard, other, board)
    assert _titles(engine, board) == ["隐患趋势"]


def test_charts_keep_their_order_and_can_be_moved_and_removed(engine: Engine, users: Users) -> None:
    board = _board(engine, users.admin)
    with Session(engine) as s:
        ids = [add_chart(s, users.admin, board, n, ChartSpec("hazards")).id for n in "ABC"]
        s.commit()
    with Session(engine) as s:
        move_chart(s, users.admin, ids[2], -1)
        s.commit()
    assert _titles(engine, board) == ["A", "C", "B"]
    with Session(engine) as s:
        move_chart(s, users.admin, ids[0], -5)  # already first: stays
        remove_chart(s, users.admin, ids[2])
        s.commit()
    assert _titles(engine, board) == ["A", "B"]


def test_a_bad_chart_is_refused_and_a_full_dashboard_too(engine: Engine, users: Users) -> None:
    board = _board(engine, users.admin)
    with Session(engine) as s:
        with pytest.raises(Exception) as caught:
            add_chart(s, users.admin, board, "bad", ChartSpec("hazards", x="camera"))
        assert caught.value.key == "chart.invalid.dimension"  # type: ignore[attr-defined]
        for i in range(CHARTS_MAX):
            add_chart(s, users.admin, board, f"c{i}", ChartSpec("hazards"))
        s.commit()
    _refused(
        engine, "dashboard.full", add_chart, users.admin, board, "one more", ChartSpec("hazards")
    )
    _refused(
        engine, "dashboard.bad_title", add_chart, users.admin, board, " ", ChartSpec("hazards")
    )


def test_pinning_the_console_query_saves_it_once(engine: Engine, users: Users) -> None:
    board = _board(engine, users.admin, shared=True)
    sql = f"SELECT name, count(*) AS n FROM department GROUP BY name -- {serial()}"
    with Session(engine) as s:
        first = pin_sql(s, users.admin, board, "部门人数", sql, BAR)
        second = pin_sql(s, users.admin, board, "部门人数（二）", f"  {sql}\n", BAR)
        s.commit()
        assert first.saved_query_id == second.saved_query_id, "same text, same query"
        query = chart_query(s, first)
        assert query is not None and query.name == "部门人数" and query.shared
        assert first.spec == {"kind": "bar", "x": "name", "y": "n", "colour": None}


def test_pinning_never_overwrites_another_query_of_that_name(engine: Engine, users: Users) -> None:
    board = _board(engine, users.admin)
    name = f"q{serial()}"
    with Session(engine) as s:
        save_query(s, users.admin, name=name, sql="SELECT 1 AS n, 'a' AS name")
        s.commit()
    _refused(
        engine, "dashboard.query_name_taken", pin_sql, users.admin, board, name, "SELECT 2", BAR
    )
    with Session(engine) as s:
        assert [q.sql for q in visible_queries(s, users.admin) if q.name == name] == [
            "SELECT 1 AS n, 'a' AS name"
        ]


def test_a_shared_query_can_be_pinned_and_its_deletion_is_noticed(
    engine: Engine, users: Users
) -> None:
    with Session(engine) as s:
        query = save_query(
            s, users.safety_head, name=f"q{serial()}", sql="SELECT 1 AS n", shared=True
        )
        private = save_query(s, users.safety_head, name=f"p{serial()}", sql="SELECT 2 AS n")
        s.commit()
        query_id, private_id = query.id, private.id
    board = _board(engine, users.park_supervisor)
    _refused(
        engine, "dashboard.query_missing", pin_query, users.park_supervisor, board, "t",
        private_id, BAR,
    )  # fmt: skip
    with Session(engine) as s:
        chart = pin_query(s, users.park_supervisor, board, "共享查询", query_id, BAR)
        s.commit()
        chart_id = chart.id
    with Session(engine) as s:
        delete_query(s, users.safety_head, query_id)
        s.commit()
    with Session(engine) as s:
        chart = next(c for c in charts(s, board) if c.id == chart_id)
        assert chart_query(s, chart) is None
        assert query_id not in {q.id for q in visible_queries(s, users.safety_head)}


def test_deleting_a_dashboard_hides_it_and_every_change_is_audited(
    engine: Engine, users: Users
) -> None:
    board = _board(engine, users.admin)
    with Session(engine) as s:
        add_chart(s, users.admin, board, "A", ChartSpec("incidents", kind="number"))
        update_dashboard(s, users.admin, board, name=f"改名{serial()}", shared=True)
        delete_dashboard(s, users.admin, board)
        s.commit()
        assert board not in {b.id for b in visible_dashboards(s, users.admin)}
        assert charts(s, board) == []
        actions = s.exec(
            select(AuditEntry.action)
            .where(col(AuditEntry.action).startswith("dashboard"))
            .where(
                col(AuditEntry.row_id).in_([board]) | (AuditEntry.table_name == "dashboard_chart")
            )
        ).all()
    assert {"dashboard_create", "dashboard_update", "dashboard_delete"} <= set(actions)
    assert "dashboard_chart_add" in actions


def test_a_builder_chart_is_edited_by_its_owner_only(engine: Engine, users: Users) -> None:
    board = _board(engine, users.safety_head, shared=True)
    with Session(engine) as s:
        chart = add_chart(s, users.safety_head, board, "按类别", ChartSpec("hazards", x="category"))
        pinned = pin_sql(s, users.safety_head, board, f"q{serial()}", "SELECT 1 AS n", BAR)
        s.commit()
        chart_id, pinned_id = chart.id, pinned.id
    line = ChartSpec("hazards", x="period", kind="line", window="3y")
    _refused(
        engine, "dashboard.not_owner", update_chart, users.park_supervisor, chart_id, "x", line
    )
    _refused(engine, "dashboard.not_builder", update_chart, users.safety_head, pinned_id, "x", line)
    with Session(engine) as s:
        update_chart(s, users.safety_head, chart_id, "  按月趋势 ", line)
        s.commit()
        chart = next(c for c in charts(s, board) if c.id == chart_id)
        assert chart.title == "按月趋势" and ChartSpec.from_dict(chart.spec) == line
