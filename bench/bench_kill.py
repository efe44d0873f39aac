"""SIGKILL in the middle of writes, many times: does anything stay half-done?

Kills each kind of write (``tests/kill_driver.py``: a CLI import, a CLI backup, a bulk
workflow step, detector hits) ``--runs`` times at random moments after it has begun, each on
a fresh copy of one prepared SQLite data dir (``--postgres``: the CLI import on PostgreSQL
too), then opens the database and prints one line per kind: runs, how many kills hit a
running write, integrity checks passed, runs that left something half-done, chains verified.

    .venv/bin/python bench/bench_kill.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import db
from core.config import Settings, get_settings, load_settings
from tests import kill_driver
from tests.pg import pg_available, temp_pg_database


def use(data_dir: Path, url: str = "") -> Settings:
    """Point this process's settings (the audit key is found through them) at ``data_dir``."""
    os.environ.pop("SAFELOOP_CONFIG", None)
    os.environ["SAFELOOP_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.reset_engines()
    return load_settings(data_dir=data_dir, database_url=url)


def one_run(settings: Settings, kind: str, rng: Random, problems: list[str]) -> tuple[bool, ...]:
    run = kill_driver.run_and_kill(settings, kind, kill_driver.WINDOW_S[kind], rng)
    found = kill_driver.check(settings)
    problems += found.partial + ([f"{kind}: chain {found.chain_reason}"] * (not found.chain_ok))
    return run.killed, found.integrity_ok, bool(found.partial), found.chain_ok


def sqlite_rows(root: Path, runs: int, rng: Random, problems: list[str]) -> list[list]:
    template = root / "template"
    kill_driver.prepare(use(template))
    table = []
    for kind in kill_driver.KINDS:
        tallies = [0, 0, 0, 0]
        for n in range(runs):
            data_dir = root / f"{kind}-{n}"
            shutil.copytree(template, data_dir)
            outcome = one_run(use(data_dir), kind, rng, problems)
            tallies = [a + int(b) for a, b in zip(tallies, outcome, strict=True)]
            shutil.rmtree(data_dir)
        table.append(["sqlite", kind, runs, *tallies])
    return table


def postgres_row(root: Path, runs: int, rng: Random, problems: list[str]) -> list:
    tallies = [0, 0, 0, 0]
    for n in range(runs):
        with temp_pg_database() as url:
            settings = use(root / f"pg-{n}", url)
            settings.data_dir.mkdir()
            kill_driver.prepare(settings)
            outcome = one_run(settings, "import", rng, problems)
            db.reset_engines()
        tallies = [a + int(b) for a, b in zip(tallies, outcome, strict=True)]
    return ["postgresql", "import", runs, *tallies]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--postgres", action="store_true", help="also kill CLI imports on PG")
    args = parser.parse_args()
    rng, problems = Random(args.seed), []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as tmp:
        rows = sqlite_rows(Path(tmp), args.runs, rng, problems)
        if args.postgres:
            ok, reason = pg_available()
            if ok:
                rows.append(postgres_row(Path(tmp), args.runs, rng, problems))
            else:
                print(f"postgresql skipped: {reason}")
    header = ["backend", "kind", "runs", "killed mid-write", "integrity ok", "partial", "chain ok"]
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(v) for v in row))
    for problem in problems:
        print("PROBLEM:", problem)
    print(f"({time.monotonic() - started:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
