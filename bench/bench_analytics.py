"""The cockpit and each trend panel: median seconds per panel, as the pages compute them.

    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python bench/bench_analytics.py [--reps 5]
    SAFELOOP_DATA_DIR=/tmp/demoL .venv/bin/python bench/bench_analytics.py  # demo --scale L

For the admin over the default periods: the cockpit for this year (13 KPIs, each with its
previous period), then the trend panels over the last three years — hazards found by month
(plain and split by department), the area × weekday × hour heat map, the Heinrich pyramid and
the Pareto of categories; the park ranking and two chart-builder charts (as a dashboard draws
them). One DuckDB connection per run, as the page keeps per refresh; the
first query on it (reading the schema) is timed separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import func, select

from analytics import datasets, kpi, ranking, trends
from analytics.datasets import ChartSpec
from analytics.duck import connect, scoped
from core.clock import site_today
from core.config import get_settings
from core.db import session_scope
from core.rbac import SYSTEM
from models.hazard import Hazard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings()
    zone, today = settings.timezone, site_today()
    start = today - timedelta(days=3 * 365)
    with session_scope() as session:
        hazards = session.exec(select(func.count()).select_from(Hazard)).one()
    began = time.perf_counter()
    con = connect(settings.db_url)
    con.sql(f"SELECT count(*) FROM {scoped('hazard', SYSTEM)}").fetchone()
    first = time.perf_counter() - began
    year = kpi.Period.preset("year", today)
    panels: dict[str, Callable[[], Any]] = {
        "cockpit (13 KPIs + previous period)": lambda: kpi.cockpit(
            con, SYSTEM, year, today, zone=zone
        ),
        "trend: hazards found by month, 3 years": lambda: trends.series(
            con, SYSTEM, "hazards_found", "month", start, today, zone=zone, today=today
        ),
        "trend: … split by department": lambda: trends.series(
            con,
            SYSTEM,
            "hazards_found",
            "month",
            start,
            today,
            "department",
            zone=zone,
            today=today,
        ),
        "heat map area × weekday × hour": lambda: trends.heatmap(
            con, SYSTEM, start, today, zone=zone
        ),
        "Heinrich pyramid": lambda: trends.heinrich(con, SYSTEM, start, today, zone=zone),
        "Pareto of categories": lambda: trends.pareto(con, SYSTEM, start, today, zone=zone),
        "park ranking (every enterprise, 6 KPIs)": lambda: ranking.ranking(
            con, SYSTEM, year, today, zone=zone
        ),
        "chart builder: hazards by category × level, 12 months": lambda: datasets.chart_data(
            con, SYSTEM, ChartSpec("hazards", x="category", colour="level"), today=today, zone=zone
        ),
        "chart builder: average days to close by month, 3 years": lambda: datasets.chart_data(
            con,
            SYSTEM,
            ChartSpec("hazards", "avg:rectify_days", window="3y", kind="line"),
            today=today,
            zone=zone,
        ),
    }
    print(f"{hazards:,} hazards; connect + first query {first:.2f} s; median of {args.reps}")
    print("| panel | median s |\n|---|---:|")
    for name, panel in panels.items():
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            panel()
            times.append(time.perf_counter() - t0)
        print(f"| {name} | {statistics.median(times):.3f} |")


if __name__ == "__main__":
    main()
