"""The safety cockpit page (安全驾驶舱): KPI tiles with their change against the previous period,
each linked to the page behind it, redrawn every ``REFRESH_S`` seconds.

Nothing is cached: every refresh reads the database afresh through DuckDB (a handful of
grouped queries over the viewer's scoped rows), so a new hazard shows within one interval and a
change of scope or period can never show stale figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import polars as pl
import streamlit as st

from analytics import kpi, ranking
from analytics.duck import locked_connection
from core.clock import local, site_today
from core.config import get_settings
from core.crud import url_filters
from core.crud.lookup import options
from core.db import session_scope, utcnow
from core.rbac import Actor
from core.ui.context import tr
from core.ui.nav import guard, visible_pages
from core.ui.widgets import one_or_all
from models.enums import Module, RiskLevel
from models.hazard import HazardState
from models.incident import IncidentKind
from models.training import TrainingResult
from models.video import ViolationState

REFRESH_S = 60
KEY = "cockpit"
#: Tiles by section, in ``kpi.KPIS`` order.
GROUPS: dict[str, tuple[str, ...]] = {
    "hazard": ("closure_rate", "on_time_rate", "overdue", "rectification_days"),
    "risk": (*(f"risk_{level}" for level in ("major", "significant", "general", "low")),),
    "work": (
        "active_permits",
        "permits_overdue_close",
        "incidents",
        "near_misses",
        "violation_rate",
    ),
    "people": ("training_coverage", "first_pass_rate", "expiring_certificates"),
    "emergency": ("supplies_attention", "drills_on_schedule"),
}


@dataclass(frozen=True)
class Drill:
    """The list behind a tile and the filters (``core.crud.url_filters``) that narrow it to
    the rows the tile counts, as far as field filters can say so."""

    page: str
    filters: Callable[[kpi.Period, date], dict[str, Any]] = lambda period, today: {}

    def params(self, period: kpi.Period, today: date) -> dict[str, str]:
        return url_filters.params(self.filters(period, today))


def _found(period: kpi.Period, today: date) -> dict[str, Any]:
    return {"found_at": (period.start, period.end)}


def _closed_found(period: kpi.Period, today: date) -> dict[str, Any]:
    return {**_found(period, today), "state": [HazardState.CLOSED]}


def _incidents(*kinds: IncidentKind) -> Callable[[kpi.Period, date], dict[str, Any]]:
    return lambda period, today: {"kind": list(kinds), "occurred_at": (period.start, period.end)}


def _risk(level: RiskLevel) -> Drill:
    return Drill("pages/risk_risk_point.py", lambda period, today: {"current_level": [level]})


def _expiring(period: kpi.Period, today: date) -> dict[str, Any]:
    day = period.snapshot_day(today)
    return {"expires_on": (day, day + timedelta(days=kpi.EXPIRY_WARNING_DAYS))}


#: The list behind each tile. Snapshot tiles of a past period (overdue) open today's list;
#: the drill-schedule rate has no list of plans by schedule, so it opens the drills.
DRILL: dict[str, Drill] = {
    "closure_rate": Drill("pages/hazard_hazard.py", _found),
    "on_time_rate": Drill("pages/hazard_hazard.py", _closed_found),
    "overdue": Drill("pages/hazard_hazard.py", lambda period, today: {"overdue": True}),
    "rectification_days": Drill("pages/hazard_hazard.py", _closed_found),
    **{f"risk_{level.value}": _risk(level) for level in RiskLevel},
    "active_permits": Drill("pages/permit_permit.py", lambda period, today: {"in_force": True}),
    "permits_overdue_close": Drill(
        "pages/permit_permit.py", lambda period, today: {"overdue_close": True}
    ),
    "incidents": Drill(
        "pages/incident_incident.py", _incidents(IncidentKind.ACCIDENT, IncidentKind.MINOR)
    ),
    "near_misses": Drill("pages/incident_incident.py", _incidents(IncidentKind.NEAR_MISS)),
    "violation_rate": Drill(
        "pages/video_violation.py",
        lambda period, today: {
            "occurred_at": (period.start, period.end),
            "state": [s for s in ViolationState if s != ViolationState.FALSE_ALARM],
        },
    ),
    "training_coverage": Drill(
        "pages/training_record.py",
        lambda period, today: {
            "trained_on": (period.start, period.end),
            "result": [TrainingResult.PASSED],
        },
    ),
    "first_pass_rate": Drill(
        "pages/training_exam_record.py",
        lambda period, today: {"started_at": (period.start, period.end), "attempt": 1},
    ),
    "expiring_certificates": Drill("pages/org_certificate.py", _expiring),
    "supplies_attention": Drill(
        "pages/emergency_supply.py", lambda period, today: {"attention": True}
    ),
    "drills_on_schedule": Drill("pages/emergency_drill.py"),
}
#: Where a tile's list is not in the user's navigation, the page it opened before lists had
#: URL filters (an overview the user may still reach).
FALLBACK: dict[str, str] = {
    **dict.fromkeys(GROUPS["hazard"], "pages/hazard_analysis.py"),
    "active_permits": "pages/permit_map.py",
    "violation_rate": "pages/video_stats.py",
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


def _enterprise(actor: Actor) -> tuple[int | None, bool]:
    """The enterprise picked (None: all) and whether the user reaches several (park level):
    only they get a picker and the ranking."""
    with session_scope() as session:
        enterprises = options(session, "enterprise", actor)
    if len(enterprises) <= 1:
        return None, False
    return one_or_all(st, tr("cockpit.enterprise"), enterprises, f"{KEY}_enterprise"), True


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


def delta_colour(row: dict) -> str:
    """Green for better, red for worse, grey for no change (an unchanged count is not news)."""
    if row["value"] is not None and row["value"] == row["previous"]:
        return "off"
    return DELTA_COLOUR[row["direction"]]


def _target(
    key: str, links: set[str], period: kpi.Period, today: date, enterprise_id: int | None
) -> tuple[str, dict[str, str]] | None:
    """The page (and its URL filters) a tile links to, among the pages the user may open;
    an enterprise picked on the cockpit narrows the list too."""
    drill = DRILL[key]
    if drill.page in links:
        params = drill.params(period, today)
        if enterprise_id is not None:
            params |= url_filters.params({"enterprise_id": [enterprise_id]})
        return drill.page, params
    fallback = FALLBACK.get(key)
    return (fallback, {}) if fallback in links else None


def _tile(cell, row: dict, target: tuple[str, dict[str, str]] | None) -> None:
    key, unit = row["key"], row["unit"]
    value = "—" if row["value"] is None else _number(row["value"], unit)
    with cell.container(border=True):
        st.metric(
            tr(f"cockpit.kpi.{key}"),
            value,
            delta=_delta(row["value"], row["previous"], unit),
            delta_color=delta_colour(row),  # type: ignore[arg-type]
            help=tr(f"cockpit.help.{key}"),
        )
        if row["whole"] is not None and unit != "per_day":
            st.caption(tr("cockpit.part_whole", part=row["part"], whole=row["whole"]))
        elif unit == "per_day":
            st.caption(tr("cockpit.violations", n=row["part"], days=row["whole"]))
        if target is not None:
            page, params = target
            st.page_link(page, label=tr("cockpit.drill"), query_params=params or None)


def _tiles(actor: Actor, period: kpi.Period, enterprise_id: int | None, several: bool) -> None:
    """The fragment redrawn every ``REFRESH_S`` seconds; the ranking under the tiles for users
    who reach ``several`` enterprises."""
    settings = get_settings()
    today = site_today()
    with locked_connection(settings.db_url) as con:
        copied = kpi.copy_hazards(con, actor)  # one copy for the tiles and the ranking
        zone = settings.timezone
        frame = kpi.cockpit(
            con, actor, period, today, zone=zone, enterprise_id=enterprise_id, copied=copied
        )
        ranked = (
            ranking.ranking(con, actor, period, today, zone=zone, copied=copied)
            if several
            else None
        )
    rows = {r["key"]: r for r in frame.iter_rows(named=True)}
    links = {p.path for p in visible_pages(actor)}
    for group, keys in GROUPS.items():
        st.subheader(tr(f"cockpit.group.{group}"))
        cells = st.columns(4)
        for i, key in enumerate(keys):
            _tile(cells[i % 4], rows[key], _target(key, links, period, today, enterprise_id))
    if ranked is not None:
        _ranking(ranked)
    st.caption(
        tr(
            "cockpit.updated",
            time=local(utcnow()).strftime("%H:%M:%S"),
            seconds=REFRESH_S,
        )
    )


def _ranking(frame: pl.DataFrame) -> None:
    """The enterprises side by side, best score first, with the score's formula."""
    st.subheader(tr("cockpit.ranking.title"))
    units = {k: kpi.BY_KEY[k].unit for k in ranking.RANKED}
    table = {
        tr("cockpit.ranking.rank"): frame["rank"].to_list(),
        tr("cockpit.enterprise"): frame["enterprise"].to_list(),
        tr("cockpit.ranking.score"): frame["score"].to_list(),
        **{
            tr(f"cockpit.kpi.{k}"): [
                None if v is None else f"{_number(v, units[k])} ({p:g})"
                for v, p in zip(frame[k].to_list(), frame[f"{k}_points"].to_list(), strict=True)
            ]
            for k in ranking.RANKED
        },
    }
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key=f"{KEY}_ranking")
    st.caption(tr("cockpit.ranking.formula"))


def render() -> None:
    actor = guard(Module.ANALYTICS)
    st.title(tr("page.analytics_cockpit"))
    today = site_today()
    period = _period(today)
    enterprise_id, several = _enterprise(actor)
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
    st.fragment(_tiles, run_every=timedelta(seconds=REFRESH_S))(
        actor, period, enterprise_id, several
    )
    st.caption(tr("cockpit.snapshot_note"))
