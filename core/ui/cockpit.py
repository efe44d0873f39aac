"""The safety cockpit page (安全驾驶舱): KPI tiles with their change against the previous period,
each linked to the page behind it, redrawn every ``REFRESH_S`` seconds.

Nothing is cached: every refresh reads the database afresh through DuckDB (a handful of
grouped queries over the viewer's scoped rows), so a new hazard shows within one interval and a
change of scope or period can never show stale figures.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from analytics import kpi
from analytics.duck import connect, lock_down
from core.clock import local, site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import session_scope, utcnow
from core.rbac import Actor
from core.ui.context import tr
from core.ui.nav import guard, visible_pages
from core.ui.widgets import one_or_all
from models.enums import Module

REFRESH_S = 60
KEY = "cockpit"
#: Tiles by section, in ``kpi.KPIS`` order.
GROUPS: dict[str, tuple[str, ...]] = {
    "hazard": ("closure_rate", "on_time_rate", "overdue", "rectification_days"),
    "risk": (*(f"risk_{level}" for level in ("major", "significant", "general", "low")),),
    "work": ("active_permits", "incidents", "near_misses", "violation_rate"),
    "people": ("training_coverage", "first_pass_rate", "expiring_certificates"),
    "emergency": ("supplies_attention", "drills_on_schedule"),
}
#: The page behind each tile. The list pages take no filter in the URL yet (only ``?id=``), so a
#: tile opens the most specific page there is: the analysis page for hazard rates and the
#: overdue list, otherwise the module's list.
DRILL: dict[str, str] = {
    "closure_rate": "pages/hazard_analysis.py",
    "on_time_rate": "pages/hazard_analysis.py",
    "overdue": "pages/hazard_analysis.py",
    "rectification_days": "pages/hazard_analysis.py",
    **dict.fromkeys(GROUPS["risk"], "pages/risk_risk_point.py"),
    "active_permits": "pages/permit_map.py",
    "incidents": "pages/incident_incident.py",
    "near_misses": "pages/incident_incident.py",
    "violation_rate": "pages/video_stats.py",
    "training_coverage": "pages/training_record.py",
    "first_pass_rate": "pages/training_exam_record.py",
    "expiring_certificates": "pages/org_certificate.py",
    "supplies_attention": "pages/emergency_supply.py",
    "drills_on_schedule": "pages/emergency_drill.py",
}
DELTA_COLOUR = {"up": "normal", "down": "inverse", "none": "off"}


def _period(today: date) -> kpi.Period:
    cells = st.columns([3, 3])
    choice = cells[0].radio(
        tr("cockpit.period"),
        [*kpi.PRESETS, "custom"],
        format_func=lambda p: tr(f"cockpit.preset.{p}"),
        horizontal=True,
        key=f"{KEY}_preset",
    )
    if choice != "custom":
        return kpi.Period.preset(choice, today)
    default = (today.replace(day=1), today)
    picked = cells[1].date_input(tr("cockpit.range"), value=default, key=f"{KEY}_range")
    start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else default
    return kpi.Period(start, end)


def _enterprise(actor: Actor) -> int | None:
    """A picker only for users who reach several enterprises (park level); None is all."""
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
    if len(enterprises) <= 1:
        return None
    return one_or_all(st, tr("cockpit.enterprise"), enterprises, f"{KEY}_enterprise")


def _number(value: float, unit: str) -> str:
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "days":
        return tr("cockpit.unit.days", n=f"{value:.1f}")
    if unit == "per_day":
        return tr("cockpit.unit.per_day", n=f"{value:.2f}")
    return f"{value:.0f}"


def _delta(value: float | None, previous: float | None, unit: str) -> str | None:
    if value is None or previous is None:
        return None
    change = value - previous
    if unit == "pct":
        return tr("cockpit.unit.pp", n=f"{change:+.1f}")
    if unit == "days":
        return tr("cockpit.unit.days", n=f"{change:+.1f}")
    if unit == "per_day":
        return f"{change:+.2f}"
    return f"{change:+.0f}"


def _tile(cell, row: dict, links: set[str]) -> None:
    key, unit = row["key"], row["unit"]
    value = "—" if row["value"] is None else _number(row["value"], unit)
    with cell.container(border=True):
        st.metric(
            tr(f"cockpit.kpi.{key}"),
            value,
            delta=_delta(row["value"], row["previous"], unit),
            delta_color=DELTA_COLOUR[row["direction"]],  # type: ignore[arg-type]
            help=tr(f"cockpit.help.{key}"),
        )
        if row["whole"] is not None and unit != "per_day":
            st.caption(tr("cockpit.part_whole", part=row["part"], whole=row["whole"]))
        elif unit == "per_day":
            st.caption(tr("cockpit.violations", n=row["part"], days=row["whole"]))
        if DRILL[key] in links:
            st.page_link(DRILL[key], label=tr("cockpit.drill"))


def _tiles(actor: Actor, period: kpi.Period, enterprise_id: int | None) -> None:
    """The fragment redrawn every ``REFRESH_S`` seconds."""
    settings = get_settings()
    today = site_today()
    con = connect(settings.db_url)
    try:
        lock_down(con)
        frame = kpi.cockpit(
            con, actor, period, today, zone=settings.timezone, enterprise_id=enterprise_id
        )
    finally:
        con.close()
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    links = {p.path for p in visible_pages(actor)}
    for group, keys in GROUPS.items():
        st.subheader(tr(f"cockpit.group.{group}"))
        cells = st.columns(4)
        for i, key in enumerate(keys):
            _tile(cells[i % 4], rows[key], links)
    st.caption(
        tr(
            "cockpit.updated",
            time=local(utcnow()).strftime("%H:%M:%S"),
            seconds=REFRESH_S,
        )
    )


def render() -> None:
    actor = guard(Module.ANALYTICS)
    st.title(tr("page.analytics_cockpit"))
    today = site_today()
    period = _period(today)
    enterprise_id = _enterprise(actor)
    before = period.previous
    st.caption(
        tr(
            "cockpit.compared",
            start=period.start,
            end=period.end,
            prev_start=before.start,
            prev_end=before.end,
        )
    )
    st.fragment(_tiles, run_every=timedelta(seconds=REFRESH_S))(actor, period, enterprise_id)
    st.caption(tr("cockpit.snapshot_note"))
