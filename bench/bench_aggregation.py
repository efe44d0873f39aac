"""One aggregation four ways: hazards per month and category at L scale.

    SAFELOOP_DATA_DIR=/tmp/demoL .venv/bin/python -m core.cli demo --scale S
    SAFELOOP_DATA_DIR=/tmp/demoL .venv/bin/python bench/bench_aggregation.py \
        --grow-to 1000000 [--reps 5]

The same answer (live hazards per local month of ``found_at`` and ``category_id``, admin scope)
computed by: DuckDB reading the database in place (``analytics.duck``; on the connection the
app keeps, and on a new one), Polars over the two
columns read through the database driver, the database's own SQL (SQLAlchemy, the way the
existing hazard analysis does it), and the naive pandas ``read_sql`` of the whole table plus
``groupby``. ``--grow-to`` tops the register up by copying (``bench_hazard_analysis.grow``):
use a throwaway data directory. Prints the median seconds and the ratio to the fastest, and
checks that all agree.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
import polars as pl
from sqlalchemy import func, select, text

from analytics.duck import Connection, connect, scoped
from bench.bench_hazard_analysis import grow
from core.config import get_settings
from core.db import get_engine, refresh_statistics, session_scope
from core.local_time import local_month
from core.rbac import SYSTEM
from models.hazard import Hazard

ZONE = "Asia/Shanghai"


def by_duckdb(con: Connection) -> pl.DataFrame:
    sql = (
        "SELECT strftime(timezone(?, found_at::TIMESTAMPTZ), '%Y-%m') AS month, category_id, "
        f"count(*) AS n FROM {scoped('hazard', SYSTEM)} GROUP BY ALL"
    )
    return con.execute(sql, [ZONE]).pl()


def by_new_duckdb(url: str) -> pl.DataFrame:
    con = connect(url)
    try:
        return by_duckdb(con)
    finally:
        con.close()


def by_polars(engine: object) -> pl.DataFrame:
    query = "SELECT found_at, category_id FROM hazard WHERE deleted_at IS NULL"
    frame = pl.read_database(query, engine)
    found = pl.col("found_at")
    if frame.schema["found_at"] == pl.String:  # SQLite hands back text
        found = found.str.to_datetime(strict=False)
    if getattr(frame.schema["found_at"], "time_zone", None) is None:
        found = found.dt.replace_time_zone("UTC")
    month = found.dt.convert_time_zone(ZONE).dt.strftime("%Y-%m")
    return frame.group_by(month.alias("month"), "category_id").agg(n=pl.len())


def by_database_sql() -> pl.DataFrame:
    with session_scope() as session:
        month = local_month(session, Hazard.found_at, ZONE).label("month")
        rows = session.execute(
            select(month, Hazard.category_id, func.count().label("n"))
            .where(Hazard.deleted_at.is_(None))
            .group_by(month, Hazard.category_id)
        ).all()
    return pl.DataFrame(rows, schema=["month", "category_id", "n"], orient="row")


def by_pandas(engine: object) -> pl.DataFrame:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        frame = pd.read_sql(text("SELECT * FROM hazard"), conn)
    frame = frame[frame["deleted_at"].isna()]
    found = pd.to_datetime(frame["found_at"], utc=True, format="mixed").dt.tz_convert(ZONE)
    out = frame.groupby([found.dt.strftime("%Y-%m"), frame["category_id"]], dropna=False).size()
    out = out.reset_index(name="n").rename(columns={"found_at": "month"})
    return pl.from_pandas(out)


def _canon(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("month").cast(pl.String).str.slice(0, 7),
        pl.col("category_id").cast(pl.Int64),
        pl.col("n").cast(pl.Int64),
    ).sort("month", "category_id", nulls_last=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grow-to", type=int, default=0)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings()
    engine = get_engine()
    if args.grow_to:
        grow(engine, args.grow_to)
        refresh_statistics(engine)
    with session_scope() as session:
        rows = session.execute(select(func.count()).select_from(Hazard)).scalar_one()
    warm = connect(settings.db_url)
    by_duckdb(warm)  # the app keeps one connection per process: its first query reads the schema
    ways: dict[str, Callable[[], pl.DataFrame]] = {
        "DuckDB on the database, warm connection": lambda: by_duckdb(warm),
        "DuckDB on the database, new connection (load, attach, query)": lambda: by_new_duckdb(
            settings.db_url
        ),
        "Polars (two columns through the driver)": lambda: by_polars(engine),
        "the database's own SQL (SQLAlchemy)": by_database_sql,
        "pandas read_sql of the table + groupby": lambda: by_pandas(engine),
    }
    medians, answers = {}, {}
    for name, way in ways.items():
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            answers[name] = _canon(way())
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times)
    first = next(iter(answers.values()))
    agree = all(a.equals(first) for a in answers.values())
    fastest = min(medians.values())
    print(f"{rows:,} hazards, {settings.db_url.split(':')[0]}, median of {args.reps}")
    print("| way | median s | × fastest |\n|---|---:|---:|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.2f} | {seconds / fastest:.1f} |")
    print(f"all agree: {agree} ({first.height} month × category cells)")


if __name__ == "__main__":
    main()
