"""One S-scale demo data dir per test run, shared by every xdist worker.

Building the demo takes 10–25 s; the CLI tests, the page-with-demo tests and each worker's
browser server all start from it. The first worker that needs it builds it with the real
``safeloop init --demo`` in a child process (so no test's settings or engines are touched);
the others wait for it. A consumer copies it (:func:`copy_demo`) and never writes the cache.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from core.config import AUDIT_KEY_FILE

REPO_ROOT = Path(__file__).resolve().parents[1]
DB_FILE = "safeloop.db"
BUILD_TIMEOUT_S = 600
SKIP = shutil.ignore_patterns("*.log", "*-wal", "*-shm")


def _build(target: Path) -> None:
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFELOOP_")}
    env.pop("DATABASE_URL", None)
    env["SAFELOOP_DATA_DIR"] = str(building)
    log = building / "init.log"
    with log.open("wb") as out:
        code = subprocess.call(
            [sys.executable, "-m", "core.cli", "init", "--demo"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BUILD_TIMEOUT_S,
        )
    if code != 0:
        raise RuntimeError(f"init --demo failed ({code}):\n{log.read_text(errors='replace')}")
    building.rename(target)  # atomic: a waiting worker sees all of it or nothing


def demo_dir(root: Path) -> Path:
    """The shared demo data dir under ``root`` (the run's temp root), built on first use."""
    target, lock = root / "demo-S", root / "demo-S.lock"
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while not target.is_dir():
        try:
            lock.mkdir()
        except FileExistsError:  # another worker is building it
            if time.monotonic() > deadline:
                raise TimeoutError(f"no demo in {target} after {BUILD_TIMEOUT_S} s") from None
            time.sleep(0.5)
            continue
        try:
            if not target.is_dir():
                _build(target)
        finally:
            lock.rmdir()
    return target


def copy_database(src: Path, dest: Path) -> None:
    """Copy a SQLite database file through SQLite's backup API (consistent even with a WAL),
    with its audit key beside it: the chain is MACed with the key of the folder it was built in."""
    with closing(sqlite3.connect(src)) as source, closing(sqlite3.connect(dest)) as target:
        source.backup(target)
    key = src.parent / AUDIT_KEY_FILE
    if key.exists():
        shutil.copy2(key, dest.parent / AUDIT_KEY_FILE)


def copy_demo(root: Path, dest: Path) -> Path:
    """A private copy of the shared demo in ``dest`` (created); returns ``dest``."""
    shutil.copytree(demo_dir(root), dest, ignore=SKIP, dirs_exist_ok=True)
    return dest
