"""GIS permit view data for a window of days: the queries, the marker frame and the deck.

    SAFELOOP_DATA_DIR=/tmp/demoM .venv/bin/python -m core.cli demo --scale M
    SAFELOOP_DATA_DIR=/tmp/demoM .venv/bin/python bench/bench_permit_map.py --days 1
    # L: a full demo takes ~12 min and 2 GB; --build L loads only the organisation and the
    # permit generator (core.demogen.permit at factor 100) into an empty data dir first
    SAFELOOP_DATA_DIR=/tmp/permitsL .venv/bin/python bench/bench_permit_map.py --build L --days 30

For every enterprise the user reaches it times what the page does before the browser draws,
over the ``--days`` local days ending today: the permit markers (window-overlap query, running
permits, names, placement, location check, tips), the risk-coloured areas, the floor-plan
bitmap and the deck JSON. It prints the median ms of each step per enterprise.
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

from sqlmodel import Session, func, select

from analytics import permit_map
from core import demo
from core.auth import has_users
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import get_engine, refresh_statistics, session_scope
from core.migrate import upgrade
from core.org import floor_plan
from core.rbac import Actor, actor_for, seed_permissions
from core.reference import load_all
from core.ui.permit import map as permit_ui
from models.accounts import User
from models.org import Enterprise
from models.permit import Permit

STEPS = ("markers", "areas", "bitmap", "deck")


def _timed(fn: Callable[[], Any], into: dict[str, float], step: str) -> Any:
    start = time.perf_counter()
    result = fn()
    into[step] = (time.perf_counter() - start) * 1000
    return result


def one_view(
    session: Session, actor: Actor, f: permit_map.PermitFilter
) -> tuple[dict[str, float], int]:
    """Build one enterprise's view as the page does; returns ms per step and markers."""
    ms: dict[str, float] = {}
    markers = _timed(lambda: permit_map.markers(session, actor, f, "zh-CN"), ms, "markers")
    areas = _timed(lambda: permit_map.areas(session, actor, f.enterprise_id, "zh-CN"), ms, "areas")
    enterprise = session.get(Enterprise, f.enterprise_id)
    polygons = areas["polygon"].to_list()
    plan = _timed(
        lambda: floor_plan.bitmap(session, enterprise, polygons, get_settings()), ms, "bitmap"
    )
    if plan is not None:
        _timed(lambda: permit_ui.build(plan, areas, markers).to_json(), ms, "deck")
    return ms, markers.height


def build(scale: str) -> None:
    """Organisation and permits only, at ``scale``, into the (empty) configured database."""
    settings = get_settings()
    upgrade(settings)
    engine = get_engine(settings)
    with session_scope(engine) as session:
        seed_permissions(session)
        load_all(session)
    with session_scope(engine) as session:
        if has_users(session):
            print("the database already has users: using what is there")
            return
        start = time.perf_counter()
        summary = demo.load(session, scale=scale, modules={"permit"})
    refresh_statistics(engine)  # ANALYZE, as `init` does after a demo: the planner needs it
    print(f"built {scale}: {summary.counts.get('permit', 0)} permits in "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1, help="local days ending today")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--build", choices=("S", "M", "L"), help="load org + permits first")
    args = parser.parse_args()
    if args.build:
        build(args.build)
    today = site_today()
    first = today - timedelta(days=args.days - 1)
    with session_scope(get_engine()) as session:
        user = session.exec(select(User).where(User.username == args.user)).one()
        actor = actor_for(session, user)
        total = session.exec(select(func.count()).select_from(Permit)).one()
        print(f"permits in the database: {total}; window {first} .. {today} ({args.days} days)")
        for enterprise_id, name in options(session, "enterprise", actor).items():
            f = permit_map.PermitFilter(enterprise_id, first, today)
            one_view(session, actor, f)  # warm-up: imports, the plan's PNG cache
            runs = [one_view(session, actor, f) for _ in range(args.reps)]
            medians = {s: statistics.median(r[0].get(s, 0.0) for r in runs) for s in STEPS}
            all_steps = statistics.median(sum(r[0].values()) for r in runs)
            steps = "  ".join(f"{s} {medians[s]:7.1f}" for s in STEPS)
            print(
                f"{name[:16]:<16} {runs[0][1]:>6} markers  {steps}  "
                f"data (markers+areas) {medians['markers'] + medians['areas']:7.1f}  "
                f"total {all_steps:7.1f} ms"
            )


if __name__ == "__main__":
    main()
