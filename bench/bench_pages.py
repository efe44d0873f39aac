"""Server-side render time of every page, as AppTest measures it, on an existing database.

    .venv/bin/python -m core.cli demo --scale S        # with SAFELOOP_DATA_DIR=/tmp/demoS
    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python bench/bench_pages.py [--reps 3] [--user admin]

Prints the median ms per page (switch to the page and run it, after one warm-up), slowest
first. This is the Python side of a page view; the browser adds drawing and the round trip.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, utcnow
from core.ui.nav import all_pages
from models.accounts import User

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def render_ms(user_id: int, page: str) -> float:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.run()
    start = time.perf_counter()
    at.switch_page(page)
    at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--user", default="admin")
    args = parser.parse_args()
    with session_scope(get_engine()) as session:
        user_id = session.exec(select(User.id).where(User.username == args.user)).one()
    results = []
    for page in all_pages():
        render_ms(user_id, page.path)  # warm-up: imports, caches
        times = [render_ms(user_id, page.path) for _ in range(args.reps)]
        results.append((statistics.median(times), page.path))
    for ms, path in sorted(results, reverse=True):
        print(f"{ms:8.0f} ms  {path}")
    worst = max(results)
    print(
        f"pages: {len(results)}, worst median {worst[0]:.0f} ms ({worst[1]}), "
        f"overall median {statistics.median(r[0] for r in results):.0f} ms"
    )


if __name__ == "__main__":
    main()
