"""Hazard analysis panels on a large register: median seconds per panel.

    SAFELOOP_DATA_DIR=/tmp/demoL .venv/bin/python -m core.cli demo --scale S
    SAFELOOP_DATA_DIR=/tmp/demoL .venv/bin/python bench/bench_hazard_analysis.py \
        --grow-to 1000000 [--reps 3]

``--grow-to N`` first tops the hazard register up to N rows by copying the existing hazards
(new numbers, same dates, areas, categories and states), which gives the L scale's density
(one hundred times S over the same three years) without generating the other L tables. It
writes into the database it is pointed at: use a throwaway data directory.

Each panel is what the page computes for the admin over its default period (the last twelve
months): headline rates, the monthly trend, the Pareto, the area heat map, the overdue list and
the repeat hazards, plus the Plotly figures built from them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, insert, literal, select
from sqlmodel import Session

from analytics import hazard_stats as hs
from core.clock import site_today
from core.config import get_settings
from core.db import get_engine, refresh_statistics, session_scope
from core.rbac import actor_for
from core.ui.hazard import charts as hazard_charts
from models.accounts import User
from models.hazard import Hazard

COPY_BATCH = 100_000


def grow(engine: Engine, target: int) -> int:
    """Copy hazards until the register holds ``target`` rows; one transaction per batch."""
    table = Hazard.__table__
    with Session(engine) as session:
        original = session.execute(select(func.max(table.c.id))).scalar_one() or 0
        count = session.execute(select(func.count()).select_from(table)).scalar_one()
    if not original:
        raise SystemExit("no hazards to copy: load a demo first")
    columns = [c for c in table.c if c.name != "id"]
    copy = 0
    while count < target:
        copy += 1
        source = [c.op("||")(literal(f"-c{copy}")) if c.name == "number" else c for c in columns]
        for offset in range(0, original, COPY_BATCH):
            if count >= target:
                break
            rows = (
                select(*source)
                .where(table.c.id <= original)
                .order_by(table.c.id)
                .limit(min(COPY_BATCH, target - count))
                .offset(offset)
            )
            with Session(engine) as session, session.begin():
                count += session.execute(insert(table).from_select(columns, rows)).rowcount
        if copy % 10 == 0 or count >= target:
            print(f"  copy {copy}: register now {count} hazards", flush=True)
    return count


def panels(session: Session, actor: Any, q: hs.HazardQuery, today: Any) -> dict[str, float]:
    """Seconds per panel, each a query plus the figure the page draws from it."""
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> None:
        start = time.perf_counter()
        fn()
        timings[name] = time.perf_counter() - start

    timed("rates", lambda: hs.rates(session, actor, q))
    timed(
        "trend",
        lambda: hazard_charts.trend(hs.trend(session, actor, q, "month"), "month", "zh-CN"),
    )
    timed("pareto", lambda: hazard_charts.pareto(hs.pareto(session, actor, q, "zh-CN"), "zh-CN"))
    timed(
        "heat map",
        lambda: hazard_charts.heatmap(hs.area_heatmap(session, actor, q, "zh-CN"), "zh-CN"),
    )
    timed("overdue", lambda: hs.overdue(session, actor, q, today))
    timed("repeats", lambda: hs.repeats(session, actor, q))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grow-to", type=int, default=0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--user", default="admin")
    args = parser.parse_args()
    engine = get_engine()
    if args.grow_to:
        print(f"growing the hazard register to {args.grow_to} rows ...", flush=True)
        started = time.perf_counter()
        grow(engine, args.grow_to)
        refresh_statistics(engine)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    today = site_today()
    with session_scope(engine) as session:
        user = session.execute(select(User).where(User.username == args.user)).scalar_one()
        actor = actor_for(session, user)
        total = session.execute(select(func.count()).select_from(Hazard)).scalar_one()
        q = hs.HazardQuery(hs.default_start(today), today, zone=get_settings().timezone)
        panels(session, actor, q, today)  # warm-up
        runs = [panels(session, actor, q, today) for _ in range(args.reps)]
    print(f"hazards: {total}, period {q.start} .. {q.end}, user {args.user}")
    for name in runs[0]:
        print(f"{statistics.median(r[name] for r in runs):8.2f} s  {name}")
    print(f"{statistics.median(sum(r.values()) for r in runs):8.2f} s  whole page (sum)")


if __name__ == "__main__":
    main()
