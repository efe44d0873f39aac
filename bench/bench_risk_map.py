"""Risk map data for a whole dataset: the queries plus the pydeck layer build, per enterprise.

    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python -m core.cli demo --scale S
    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python bench/bench_risk_map.py [--reps 7]

For every enterprise the admin reaches it times what the page does before the browser draws:
area colours, risk-point markers, hazard markers, the floor-plan bitmap and the deck JSON. It
prints the median ms of each step per enterprise and of the sum over all enterprises (the
"whole dataset": every risk point of the demo on a map). Area colours and the level tiles always
aggregate every point; the page draws the most severe points as markers, up to a cap, and
``--all-points`` lifts the cap to time one marker per risk point.
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

from sqlmodel import Session, func, select

from analytics import risk_map, risk_markers
from core.clock import site_today
from core.config import get_settings
from core.crud.lookup import options
from core.db import get_engine, session_scope
from core.org import floor_plan
from core.rbac import Actor, actor_for
from core.ui.risk import deck as risk_deck
from models.accounts import User
from models.org import Enterprise
from models.risk_register import RiskPoint

STEPS = ("areas", "points", "hazards", "bitmap", "deck")


def _timed(fn: Callable[[], Any], into: dict[str, float], step: str) -> Any:
    start = time.perf_counter()
    result = fn()
    into[step] = (time.perf_counter() - start) * 1000
    return result


def one_map(
    session: Session, actor: Actor, enterprise_id: int, limit: int
) -> tuple[dict[str, float], int]:
    """Build one enterprise's map as the page does; returns ms per step and markers drawn."""
    ms: dict[str, float] = {}
    f = risk_map.MapFilter(enterprise_id=enterprise_id)
    enterprise = session.get(Enterprise, enterprise_id)
    areas = _timed(lambda: risk_map.areas(session, actor, f, "zh-CN"), ms, "areas")
    points = _timed(
        lambda: risk_markers.point_markers(session, actor, f, "zh-CN", limit=limit), ms, "points"
    )
    hazards = _timed(
        lambda: risk_markers.hazard_markers(session, actor, f, "zh-CN", site_today()),
        ms,
        "hazards",
    )
    polygons = areas["polygon"].to_list()
    plan = _timed(
        lambda: floor_plan.bitmap(session, enterprise, polygons, get_settings()), ms, "bitmap"
    )
    if plan is not None:
        _timed(lambda: risk_deck.build(plan, areas, points, hazards).to_json(), ms, "deck")
    return ms, points.height + hazards.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--user", default="admin")
    parser.add_argument(
        "--all-points",
        action="store_true",
        help=f"draw every risk point, not the page's {risk_markers.MAX_POINT_MARKERS} most severe",
    )
    args = parser.parse_args()
    limit = 10**9 if args.all_points else risk_markers.MAX_POINT_MARKERS
    with session_scope(get_engine()) as session:
        user = session.exec(select(User).where(User.username == args.user)).one()
        actor = actor_for(session, user)
        enterprises = options(session, "enterprise", actor)
        per_enterprise = dict(
            session.exec(
                select(RiskPoint.enterprise_id, func.count())
                .where(RiskPoint.deleted_at.is_(None))
                .group_by(RiskPoint.enterprise_id)
            ).all()
        )
        totals: list[float] = []
        for enterprise_id, name in enterprises.items():
            one_map(session, actor, enterprise_id, limit)  # warm-up: imports, the plan's PNG cache
            runs = [one_map(session, actor, enterprise_id, limit) for _ in range(args.reps)]
            medians = {s: statistics.median(r[0].get(s, 0.0) for r in runs) for s in STEPS}
            total = statistics.median(sum(r[0].values()) for r in runs)
            totals.append(total)
            steps = "  ".join(f"{s} {medians[s]:6.1f}" for s in STEPS)
            print(
                f"{name[:16]:<16} {per_enterprise.get(enterprise_id, 0):>6} points "
                f"{runs[0][1]:>6} markers  {steps}  total {total:7.1f} ms"
            )
    print(
        f"enterprises: {len(totals)}, risk points: {sum(per_enterprise.values())}, "
        f"all maps (sum of medians): {sum(totals):.0f} ms, slowest map: {max(totals):.0f} ms"
    )


if __name__ == "__main__":
    main()
