"""The park ranking (园区排名): the enterprises a park supervisor oversees side by side on six
cockpit KPIs, each counted exactly as its cockpit tile counts it, with a composite score."""

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
#: Points a count takes off its 100-point component of the score (per hazard, per incident,
#: per violation a day).
PENALTY = {"overdue": 10.0, "incidents": 25.0, "violation_rate": 10.0}
RANKING_SCHEMA = {
    "rank": pl.Int64,
    "enterprise_id": pl.Int64,
    "enterprise": pl.String,
    **dict.fromkeys(RANKED, pl.Float64),
    "score": pl.Float64,
}


def score(figures: dict[str, float | None]) -> float | None:
    """综合得分 (0–100), the mean of six components, each 0–100 and higher is better:

    - closure rate, on-time rate and training coverage, as percentages;
    - ``max(0, 100 − 10 × overdue hazards)``;
    - ``max(0, 100 − 25 × incidents)``;
    - ``max(0, 100 − 10 × violations per day)``.

    A rate with nothing to count (no hazard found, nobody to train) is left out of the mean
    rather than scored 0 or 100; None when no component is left. Counts are not divided by
    the enterprise's size: an overdue hazard is as bad in a large plant as in a small one.
    """
    parts = [figures[k] for k in ("closure_rate", "on_time_rate", "training_coverage")]
    parts += [
        max(0.0, 100.0 - points * figures[k])  # type: ignore[operator]
        for k, points in PENALTY.items()
        if figures[k] is not None
    ]
    known = [p for p in parts if p is not None]
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
            | {"score": score(figures), "rank": None}
        )
    frame = pl.DataFrame(rows, schema=RANKING_SCHEMA)
    return frame.with_columns(
        pl.col("score").rank(method="min", descending=True).cast(pl.Int64).alias("rank")
    ).sort(["rank", "enterprise"], nulls_last=True)
