"""How long do ``safeloop audit verify`` and ``verify --records`` take on the S demo, and what
does keying and sealing add to an append?

Builds the S demo into ``--data-dir`` if it holds no database (``safeloop demo --scale S``,
about 20 s), seals what the demo's bulk load left unsealed (``audit baseline``, timed with the
CLI's start-up), then times, best of ``--runs``: the chain check (every entry's HMAC, the head,
the anchors), the records check (every sealed row's hash against its latest seal) and 1,000
appends in a transaction that is rolled back, with this tree's ``core.audit`` and with the
committed unkeyed one (``git show HEAD:core/audit.py``) side by side.

    SAFELOOP_DATA_DIR=/tmp/demoS_audit .venv/bin/python bench/bench_audit.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from core import audit
from core.config import get_settings
from core.db import get_engine
from models.system import AuditEntry

ROOT = Path(__file__).resolve().parent.parent


def _best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, check=True)


def _committed_audit() -> types.ModuleType | None:
    """The committed ``core/audit.py`` as a module, if HEAD still has the single file."""
    shown = subprocess.run(
        ["git", "show", "HEAD:core/audit.py"], cwd=ROOT, capture_output=True, text=True
    )
    if shown.returncode != 0:
        return None
    module = sys.modules["committed_audit"] = types.ModuleType("committed_audit")
    exec(compile(shown.stdout, "HEAD:core/audit.py", "exec"), module.__dict__)
    return module


def _appends(engine: Engine, module: Any, runs: int) -> float:
    with Session(engine) as session:

        def append() -> None:
            for i in range(1000):
                module.record(session, None, "export", detail={"i": i})
            session.flush()

        seconds, _ = _best(runs, append)
        session.rollback()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get("SAFELOOP_DATA_DIR", "/tmp/demoS_audit")
    parser.add_argument("--data-dir", default=default_dir)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["SAFELOOP_DATA_DIR"] = args.data_dir
    get_settings.cache_clear()
    if not (Path(args.data_dir) / "safeloop.db").exists():
        _cli("demo", "--scale", "S")
    start = time.perf_counter()
    _cli("audit", "baseline")
    print(f"audit baseline (CLI, incl. start-up): {time.perf_counter() - start:.2f} s")

    engine = get_engine()
    with Session(engine) as session:
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
        is_seal = AuditEntry.action == "seal"
        seals = session.exec(select(func.count()).select_from(AuditEntry).where(is_seal)).one()
        chain_s, report = _best(args.runs, lambda: audit.verify(session))
        records_s, findings = _best(args.runs, lambda: audit.verify_records(session))
    assert report.ok and not findings, (report, findings[:3])
    print(f"entries {entries}, of which seals {seals}")
    print(f"verify (chain): {chain_s:.2f} s ({chain_s / entries * 1e6:.0f} µs/entry)")
    print(f"verify --records ({seals} sealed records): {records_s:.2f} s")
    for name, module in (("keyed (this tree)", audit), ("unkeyed (HEAD)", _committed_audit())):
        if module is not None:
            seconds = _appends(engine, module, args.runs)
            print(f"1,000 appends, {name}: {seconds:.2f} s ({seconds:.2f} ms each)")


if __name__ == "__main__":
    main()
