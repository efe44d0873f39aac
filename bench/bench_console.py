"""The SQL console under the two denial-of-service queries of issue 18: the app's memory, the
time to stop each, and a plain query by another user meanwhile.

    .venv/bin/python bench/bench_console.py [--seconds 3] [--memory-mb 2048 6144]

On a throw-away SQLite database (the DoS queries name no table; the plain query copies one
table in). For each DoS query, run by one user under a time limit of ``--seconds``: the app
process's RSS before, at its peak during and after the query (sampled every 10 ms), the
worker's peak RSS, the seconds until the console answered and its message; meanwhile another
user runs ``SELECT count(*) FROM hazard`` through the console, then the app builds the
console's schema browser (a page function), both timed. Once with the default memory cap (the
queries end by running out of it) and once with a cap large enough that only the wall-clock
kill can stop the second one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DOS = (
    "SELECT repeat('x', 100000000) FROM range(100)",
    "SELECT length(repeat('x', 2000000000))",
)
PLAIN = "SELECT count(*) FROM hazard"


def _rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            line = next(x for x in status if x.startswith("VmRSS:"))
    except (OSError, StopIteration):  # the process has gone
        return 0.0
    return int(line.split()[1]) / 1024


def _children() -> list[int]:
    """Our child processes (the console workers), from /proc."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == me:
                        found.append(int(entry))
            except OSError:
                continue
    return found


class Sampler:
    """Peak RSS of this process and of its children while the block runs."""

    def __init__(self) -> None:
        self.app = self.worker = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.app = max(self.app, _rss_mb())
            self.worker = max([self.worker, *(_rss_mb(p) for p in _children())])

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _timed(call: Callable[[], object]) -> tuple[float, str]:
    from analytics.sql_console import Refused

    start = time.perf_counter()
    try:
        call()
        outcome = "ok"
    except Refused as exc:
        outcome = exc.message("en")
    return time.perf_counter() - start, outcome


def _row(
    run: Callable[[str, Any], object], page: Callable[[], object], sql: str, limits: Any
) -> str:
    """One DoS query under ``limits`` with the plain query and a page function meanwhile."""
    before, meanwhile = _rss_mb(), {}

    def others() -> None:
        time.sleep(0.5)  # the DoS query is running by now
        meanwhile["console"] = _timed(lambda: run("other", None))[0]
        meanwhile["page"] = _timed(page)[0]

    side = threading.Thread(target=others)
    with Sampler() as peak:
        side.start()
        seconds, message = _timed(lambda: run(sql, limits))
        side.join()
    return (
        f"| `{sql}` | {before:.0f} / {peak.app:.0f} / {_rss_mb():.0f} | {peak.worker:.0f} "
        f"| {seconds:.2f} | {meanwhile['console']:.3f} | {meanwhile['page']:.3f} | {message} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="the user's time limit")
    parser.add_argument(
        "--memory-mb", type=int, nargs="+", default=[2048, 6144], help="console_memory_mb"
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="bench-console-"))
    os.environ["SAFELOOP_DATA_DIR"] = str(data)

    from sqlmodel import SQLModel

    import models  # noqa: F401  (registers every table)
    from analytics.sql_console import Limits, run_query, schema
    from core.config import get_settings
    from core.db import make_engine
    from core.rbac import SYSTEM

    engine = make_engine(f"sqlite:///{data / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    other = replace(SYSTEM, username="other")

    def run(sql: str, limits: Any) -> object:
        if sql == "other":
            return run_query(engine, other, PLAIN)
        return run_query(engine, SYSTEM, sql, limits)

    print(
        "| query | app RSS before / peak / after (MB) | worker peak (MB) | stopped after (s) "
        "| another user's query meanwhile (s) | schema browser meanwhile (s) | message |"
    )
    print("|---|---|---|---|---|---|---|")
    for memory_mb in args.memory_mb:
        os.environ["SAFELOOP_CONSOLE_MEMORY_MB"] = str(memory_mb)
        get_settings.cache_clear()
        warm = _timed(lambda: run("other", None))[0]  # starts a worker
        print(f"| cap {memory_mb} MB, limit {args.seconds} s (first query {warm:.2f} s) |||||||")
        for sql in DOS:
            print(_row(run, lambda: schema(SYSTEM, "zh-CN"), sql, Limits(seconds=args.seconds)))
    engine.dispose()


if __name__ == "__main__":
    main()
