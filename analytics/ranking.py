"""The park ranking (园区排名): the enterprises a park supervisor oversees side by side on six
cockpit KPIs, each counted exactly as its cockpit tile counts it, each turned into a 0–100
component, and their mean as the composite score (the page shows every component)."""

from __future__ import annotations

from datetime import date

import polars as pl

from analytics.duck import Connection, scoped
from analytics.kpi import BY_KEY, Ctx, Period, copy_hazards
from core.rbac import Actor

#: The KPIs an enterprise is ranked on, side by side.
RANKED: tuple[str, ...] = (
    "closure_rate",
    "on_time_rate",
    "overdue",
    "incidents",
    "violation_rate",
    "training_coverage",
)
#: The count at which a count's component is halved (10 overdue hazards, 4 incidents, 10
#: violations a day → 50). A count's component is ``100 × k / (k + n)``: it falls with every
#: hazard, incident or violation and never reaches a floor, so a plant with more overdue
#: hazards always scores lower on that component than one with fewer (a linear penalty
#: floored at 0 scored 11 and 113 overdue hazards alike, and training coverage decided).
HALF_AT = {"overdue": 10.0, "incidents": 4.0, "violation_rate": 10.0}
RATES = ("closure_rate", "on_time_rate", "training_coverage")
RANKING_SCHEMA = {
    "rank": pl.Int64,
    "enterprise_id": pl.Int64,
    "enterprise": pl.String,
    **dict.fromkeys(RANKED, pl.Float64),
    **{f"{k}_points": pl.Float64 for k in RANKED},
    "score": pl.Float64,
}


def components(figures: dict[str, float | None]) -> dict[str, float | None]:
    """Each ranked KPI as a 0–100 component, higher is better: a rate as its percentage, a
    count ``n`` as ``100 × k / (k + n)`` (``HALF_AT``); None when there is nothing to count."""
    points: dict[str, float | None] = {k: figures[k] for k in RATES}
    for key, half in HALF_AT.items():
        n = figures[key]
        points[key] = None if n is None else 100.0 * half / (half + max(0.0, n))
    return {k: None if v is None else round(v, 1) for k, v in points.items()}


def score(figures: dict[str, float | None]) -> float | None:
    """综合得分 (0–100): the mean of the :func:`components` that have something to count (a
    rate with nothing to count is left out rather than scored 0 or 100); None when none has.
    Counts are not divided by the enterprise's size: an overdue hazard is as bad in a large
    plant as in a small one."""
    known = [p for p in components(figures).values() if p is not None]
    return round(sum(known) / len(known), 1) if known else None


def ranking(
    con: Connection,
    actor: Actor,
    period: Period,
    today: date,
    *,
    zone: str = "Asia/Shanghai",
    copied: frozenset[str] | None = None,
) -> pl.DataFrame:
    """One row per enterprise the actor can see (a park supervisor: every enterprise of the
    park) with the ``RANKED`` KPIs of the period side by side — each exactly as its cockpit
    tile counts it, within the actor's scope, so a department head's single row holds their
    department's numbers — the :func:`score` and its rank (1 = best; equal scores share a
    rank; an enterprise with no score comes last, unranked)."""
    enterprises = con.sql(
        f"SELECT e.id, e.name FROM {scoped('enterprise', actor)} e ORDER BY e.name"
    ).fetchall()
    copied = copy_hazards(con, actor) if copied is None else copied  # one for every enterprise
    rows = []
    for enterprise_id, name in enterprises:
        c = Ctx(con, actor, zone, int(enterprise_id), today, copied)
        figures: dict[str, float | None] = {}
        for key in RANKED:
            kpi = BY_KEY[key]
            if kpi.flow is not None:
                figures[key] = kpi.flow(c, period).value
            else:
                assert kpi.snapshot is not None
                figures[key] = kpi.snapshot(c, period.snapshot_day(today)).value
        rows.append(
            {"enterprise_id": int(enterprise_id), "enterprise": str(name), **figures}
            | {f"{k}_points": v for k, v in components(figures).items()}
            | {"score": score(figures), "rank": None}
        )
    frame = pl.DataFrame(rows, schema=RANKING_SCHEMA)
    return frame.with_columns(
        pl.col("score").rank(method="min", descending=True).cast(pl.Int64).alias("rank")
    ).sort(["rank", "enterprise"], nulls_last=True)
