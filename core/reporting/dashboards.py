"""Dashboards: named pages of charts an analyst builds without SQL (chart-builder
specifications) or pins from the SQL console (saved queries), kept for themselves or shared
with their enterprise (``core.reporting.sharing``).

Only the owner changes a dashboard; every change is one transaction and audited. A chart stores
its description, never its figures: opening a dashboard computes every chart under the viewer's
own modules and scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from analytics.datasets import ChartSpec
from core.audit import record
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.reporting.saved_queries import save_query, visible_queries
from core.reporting.sharing import mine_first, mine_or_shared
from models.analytics import Dashboard, DashboardChart, SavedQuery
from models.enums import Action, Module

NAME_MAX = 100
CHARTS_MAX = 24
#: How a pinned query's result is drawn.
PLOT_KINDS = ("bar", "line", "area", "scatter", "pie", "table")


class InvalidDashboard(Translatable):
    """A dashboard change that cannot be made (bad name, not the owner, too many charts)."""


@dataclass(frozen=True)
class QueryPlot:
    """How to draw a saved query's result: chart type and the columns on each channel."""

    kind: str
    x: str
    y: str
    colour: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": self.x, "y": self.y, "colour": self.colour}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueryPlot:
        return cls(str(data["kind"]), str(data["x"]), str(data["y"]), data.get("colour") or None)


def visible_dashboards(session: Session, actor: Actor) -> list[Dashboard]:
    """The actor's own dashboards, then the shared ones they reach, each by name."""
    rows = session.exec(select(Dashboard).where(mine_or_shared(Dashboard, actor))).all()
    return mine_first(list(rows), actor)


def _text(value: str, refusal: str) -> str:
    """A dashboard name or chart title, trimmed; empty or too long is refused."""
    value = value.strip()
    if not value or len(value) > NAME_MAX:
        raise InvalidDashboard(refusal, max=NAME_MAX)
    return value


def _owned(session: Session, actor: Actor, dashboard_id: int) -> Dashboard:
    """The actor's own live dashboard, or a refusal (others' shared ones are read-only)."""
    row = session.get(Dashboard, dashboard_id)
    if row is None or row.deleted_at is not None or row.owner_id != actor.user_id:
        raise InvalidDashboard("dashboard.not_owner")
    return row


def _audit(
    session: Session, actor: Actor, action: str, row: Dashboard | DashboardChart, **detail: Any
) -> None:
    table = "dashboard" if isinstance(row, Dashboard) else "dashboard_chart"
    record(session, actor, action, table_name=table, row_id=row.id, detail=detail)


def create_dashboard(session: Session, actor: Actor, name: str, shared: bool = False) -> Dashboard:
    """A new empty dashboard of the actor's; a name they already use is refused."""
    actor.require(Module.ANALYTICS, Action.VIEW)
    name = _text(name, "dashboard.bad_name")
    taken = session.exec(
        select(Dashboard).where(Dashboard.owner_id == actor.user_id, Dashboard.name == name)
    ).first()
    if taken is not None and taken.deleted_at is None:
        raise InvalidDashboard("dashboard.name_taken", name=name)
    row = taken or Dashboard(
        name=name,
        owner_id=actor.user_id,
        enterprise_id=actor.enterprise_id,
        department_id=actor.department_id,
        created_by=actor.user_id,
    )
    row.sqlmodel_update({"shared": shared, "deleted_at": None, "updated_at": utcnow()})
    session.add(row)
    session.flush()
    _audit(session, actor, "dashboard_create", row, name=name, shared=shared)
    return row


def update_dashboard(
    session: Session, actor: Actor, dashboard_id: int, *, name: str, shared: bool
) -> Dashboard:
    """Rename or (un)share one of the actor's dashboards."""
    row = _owned(session, actor, dashboard_id)
    name = _text(name, "dashboard.bad_name")
    clash = session.exec(
        select(Dashboard).where(
            Dashboard.owner_id == actor.user_id, Dashboard.name == name, Dashboard.id != row.id
        )
    ).first()
    if clash is not None:
        raise InvalidDashboard("dashboard.name_taken", name=name)
    row.sqlmodel_update({"name": name, "shared": shared, "updated_at": utcnow()})
    session.add(row)
    _audit(session, actor, "dashboard_update", row, name=name, shared=shared)
    return row


def delete_dashboard(session: Session, actor: Actor, dashboard_id: int) -> None:
    """Remove one of the actor's dashboards with its charts (kept, marked deleted)."""
    row = _owned(session, actor, dashboard_id)
    now = utcnow()
    for chart in charts(session, row.id or 0):
        chart.deleted_at = now
        session.add(chart)
    row.deleted_at = now
    session.add(row)
    _audit(session, actor, "dashboard_delete", row, name=row.name)


def charts(session: Session, dashboard_id: int) -> list[DashboardChart]:
    """A dashboard's live charts in their order."""
    live = col(DashboardChart.deleted_at).is_(None)
    stmt = (
        select(DashboardChart)
        .where(DashboardChart.dashboard_id == dashboard_id, live)
        .order_by(col(DashboardChart.position), col(DashboardChart.id))
    )
    return list(session.exec(stmt).all())


def _append(
    session: Session,
    actor: Actor,
    dashboard_id: int,
    title: str,
    spec: dict[str, Any],
    saved_query_id: int | None = None,
) -> DashboardChart:
    board = _owned(session, actor, dashboard_id)
    title = _text(title, "dashboard.bad_title")
    existing = charts(session, dashboard_id)
    if len(existing) >= CHARTS_MAX:
        raise InvalidDashboard("dashboard.full", max=CHARTS_MAX)
    last = max((c.position for c in existing), default=-1)
    chart = DashboardChart(
        dashboard_id=dashboard_id,
        position=last + 1,
        title=title,
        spec=spec,
        saved_query_id=saved_query_id,
        created_by=actor.user_id,
    )
    session.add(chart)
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    _audit(
        session,
        actor,
        "dashboard_chart_add",
        chart,
        title=title,
        dashboard=board.name,
        query=saved_query_id,
    )
    return chart


def add_chart(
    session: Session, actor: Actor, dashboard_id: int, title: str, spec: ChartSpec
) -> DashboardChart:
    """Put a chart-builder chart at the end of one of the actor's dashboards."""
    return _append(session, actor, dashboard_id, title, spec.checked().as_dict())


def pin_query(
    session: Session, actor: Actor, dashboard_id: int, title: str, query_id: int, plot: QueryPlot
) -> DashboardChart:
    """Pin a saved query the actor can see to one of their dashboards, drawn as ``plot``."""
    query = session.exec(
        select(SavedQuery).where(SavedQuery.id == query_id, mine_or_shared(SavedQuery, actor))
    ).first()
    if query is None:
        raise InvalidDashboard("dashboard.query_missing")
    if plot.kind not in PLOT_KINDS or not plot.x or not plot.y:
        raise InvalidDashboard("dashboard.bad_plot")
    return _append(session, actor, dashboard_id, title, plot.as_dict(), query_id)


def pin_sql(
    session: Session, actor: Actor, dashboard_id: int, title: str, sql: str, plot: QueryPlot
) -> DashboardChart:
    """Pin the console's current query: the saved query the actor sees with exactly this text,
    else a new query of theirs named ``title`` (shared when the dashboard is), so the chart
    follows the query when it is edited later."""
    board = _owned(session, actor, dashboard_id)
    text = sql.strip()
    query = next((q for q in visible_queries(session, actor) if q.sql.strip() == text), None)
    if query is None:
        mine = session.exec(
            select(SavedQuery).where(
                SavedQuery.owner_id == actor.user_id,
                SavedQuery.name == title.strip(),
                col(SavedQuery.deleted_at).is_(None),
            )
        ).first()
        if mine is not None:
            raise InvalidDashboard("dashboard.query_name_taken", name=title.strip())
        query = save_query(session, actor, name=title, sql=text, shared=board.shared)
    return pin_query(session, actor, dashboard_id, title, query.id or 0, plot)


def _own_chart(session: Session, actor: Actor, chart_id: int) -> DashboardChart:
    chart = session.get(DashboardChart, chart_id)
    if chart is None or chart.deleted_at is not None:
        raise InvalidDashboard("dashboard.not_owner")
    _owned(session, actor, chart.dashboard_id)
    return chart


def chart_to_edit(session: Session, actor: Actor, chart_id: int) -> DashboardChart | None:
    """The chart the builder opens for editing: one of the actor's own live charts, else
    None (a shared dashboard's charts are edited by their owner only)."""
    try:
        return _own_chart(session, actor, chart_id)
    except InvalidDashboard:
        return None


def update_chart(
    session: Session, actor: Actor, chart_id: int, title: str, spec: ChartSpec
) -> DashboardChart:
    """Change a chart-builder chart's title and settings (a pinned query is edited in the
    console: the chart follows its saved query)."""
    chart = _own_chart(session, actor, chart_id)
    if chart.saved_query_id is not None:
        raise InvalidDashboard("dashboard.not_builder")
    chart.title, chart.spec = _text(title, "dashboard.bad_title"), spec.checked().as_dict()
    chart.updated_at = utcnow()
    session.add(chart)
    _audit(session, actor, "dashboard_chart_update", chart, title=chart.title)
    return chart


def move_chart(session: Session, actor: Actor, chart_id: int, step: int) -> None:
    """Move a chart ``step`` places earlier (< 0) or later (> 0); positions are renumbered."""
    chart = _own_chart(session, actor, chart_id)
    order = charts(session, chart.dashboard_id)
    at = next(i for i, c in enumerate(order) if c.id == chart.id)
    order.insert(max(0, min(len(order) - 1, at + step)), order.pop(at))
    for position, c in enumerate(order):
        c.position = position
        session.add(c)
    _audit(session, actor, "dashboard_chart_move", chart, title=chart.title, step=step)


def remove_chart(session: Session, actor: Actor, chart_id: int) -> None:
    """Take a chart off one of the actor's dashboards."""
    chart = _own_chart(session, actor, chart_id)
    chart.deleted_at = utcnow()
    session.add(chart)
    _audit(session, actor, "dashboard_chart_remove", chart, title=chart.title)


def chart_query(session: Session, chart: DashboardChart) -> SavedQuery | None:
    """The saved query a pinned chart draws (``None`` once its owner deleted it). A chart on a
    shared dashboard runs the query for every viewer, under the viewer's own scope."""
    query = session.get(SavedQuery, chart.saved_query_id) if chart.saved_query_id else None
    return query if query is not None and query.deleted_at is None else None
