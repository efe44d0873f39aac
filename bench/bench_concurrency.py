"""Four writer processes at once: is every attempt committed exactly once, with no error?

Each spawned process (``--workers``, default 4) writes for ``--seconds`` (default 60), taking
turns between the three writers a plant has: a hazard report (``report_hazard``, what the
report form calls), an Excel import of ``IMPORT_ROWS`` hazards without a number column
(``excel.import_rows``) and a detector hit whose rule opens a hazard (``ViolationSink.write``).
Afterwards the rows are counted against the attempts the workers report, and the hazard
numbers are checked unique and gap-free. Prints committed/s per kind and errors per backend.

    .venv/bin/python bench/bench_concurrency.py --seconds 60 --backend sqlite
    .venv/bin/python bench/bench_concurrency.py --seconds 60 --backend postgresql

Processes, not threads (as ``tests/test_numbering.py`` uses under pytest-xdist), started
with ``spawn``: every writer has its own interpreter, engine and connections, as the app and
the detector do.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, func, select

from bench.bench_kill import use
from core.crud import excel
from core.crud.registry import get_spec
from core.db import get_engine, reset_engines
from core.hazard.flow import report_hazard
from core.rbac import actor_for
from detectors.config import load_cameras
from detectors.sink import ViolationSink
from detectors.types import Hit
from models.accounts import User
from models.hazard import Hazard
from models.org import Enterprise
from models.video import VideoViolation
from tests import kill_driver
from tests.pg import pg_available, temp_pg_database

KINDS = ("report", "import", "detect")
IMPORT_ROWS = 3
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


def writer(worker: int, seconds: float, kinds: tuple[str, ...], start: Any, results: Any) -> None:
    """One process: reports, imports and detector hits in turn until time is up; puts
    (worker, attempts per kind, errors) on ``results``."""
    from core.config import get_settings

    settings = get_settings()
    engine = get_engine(settings)
    with Session(engine) as s:
        actor = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
        enterprise = s.exec(select(Enterprise.name).order_by(col(Enterprise.id))).first()
        (camera,) = load_cameras(s)
    (rule,) = camera.rules
    spec, snapshot = get_spec("hazard"), _jpeg()
    attempts: Counter[str] = Counter()
    errors: list[str] = []
    spool = settings.data_dir / f"spool-{worker}"
    with ViolationSink(engine, settings, spool, retry_s=0.0) as sink:
        start.wait()
        until, n = time.monotonic() + seconds, 0
        while time.monotonic() < until:
            kind = kinds[n % len(kinds)]
            n += 1
            attempts[kind] += 1
            tag = f"{worker}-{n}"
            try:
                if kind == "report":
                    with Session(engine) as s:
                        values = {"title": f"并发上报{tag}", "location": "东区"}
                        report_hazard(s, actor, {**values, "enterprise_id": camera.enterprise_id})
                        s.commit()
                elif kind == "import":
                    data = kill_driver.sheet(IMPORT_ROWS, f"并发导入{tag}-", enterprise)
                    with Session(engine) as s:
                        report = excel.import_rows(s, spec, actor, data, "zh-CN")
                        if not report.ok:
                            raise RuntimeError(f"import refused: {report.errors[:2]}")
                        s.commit()
                else:
                    hit = Hit(
                        camera_id=camera.id,
                        rule_id=rule.id,
                        zone_id=rule.zone_id,
                        kind=rule.kind,
                        track_id=worker * 1_000_000 + n,
                        confidence=0.9,
                        at=T0 + timedelta(seconds=n),
                        frame_index=n,
                        boxes=((110.0, 120.0, 150.0, 260.0),),
                    )
                    if not sink.write(camera, hit, snapshot):
                        raise RuntimeError(f"hit spooled or set aside ({sink.pending()} pending)")
            except Exception as exc:  # every failure is a lost write: counted and shown
                errors.append(f"{kind}: {exc!r}"[:300])
    reset_engines()
    results.put((worker, dict(attempts), errors))


def count(settings: Any) -> dict[str, Any]:
    """Rows of each kind in the database, and what is wrong with the hazard numbers."""
    engine = get_engine(settings)
    with Session(engine) as s:

        def hazards(prefix: str) -> int:
            stmt = select(func.count()).where(col(Hazard.title).startswith(prefix))
            return s.exec(stmt).one()

        violations = s.exec(select(VideoViolation.hazard_id)).all()
        numbers = s.exec(select(Hazard.number)).all()
    reset_engines()
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        prefix, _, seq = str(number).rpartition("-")
        by_prefix.setdefault(prefix, []).append(int(seq))
    number_problems = [
        f"{prefix}: {len(seqs)} numbers, {len(set(seqs))} distinct, highest {max(seqs)}"
        for prefix, seqs in by_prefix.items()
        if sorted(seqs) != list(range(1, len(seqs) + 1))
    ]
    return {
        "report": hazards("并发上报"),
        "import": hazards("并发导入") / IMPORT_ROWS,
        "detect": len(violations),
        "detect_without_hazard": sum(h is None for h in violations),
        "number_problems": number_problems,
    }


def run(
    backend: str, url: str, root: Path, workers: int, seconds: float, kinds: tuple[str, ...]
) -> list[str]:
    """Prepare a database, run the writers, print the backend's lines; returns its problems."""
    settings = use(root, url)
    kill_driver.prepare(settings)
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=writer, args=(w, seconds, kinds, start, results)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    outcome = [results.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    attempts: Counter[str] = Counter()
    errors = [e for _, _, errs in outcome for e in errs]
    for _, tries, _ in outcome:
        attempts.update(tries)
    rows = count(settings)
    problems = list(errors) + rows["number_problems"]
    for kind in kinds:
        committed = rows[kind]
        print(
            f"{backend:10} | {kind:6} | attempts {attempts[kind]:6} | committed {committed:8.0f}"
            f" | {committed / seconds:7.1f}/s"
        )
        if committed != attempts[kind]:
            problems.append(f"{kind}: {committed} committed for {attempts[kind]} attempts")
    if rows["detect_without_hazard"]:
        problems.append(f"detect: {rows['detect_without_hazard']} violations without hazard")
    print(f"{backend:10} | errors {len(errors)} | problems {len(problems)}")
    for problem in problems[:20]:
        print("  PROBLEM:", problem)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset")
    args = parser.parse_args()
    kinds = tuple(k for k in args.kinds.split(",") if k in KINDS)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        if args.backend in ("sqlite", "both"):
            root = Path(tmp) / "sqlite"
            root.mkdir()
            problems += run("sqlite", "", root, args.workers, args.seconds, kinds)
        if args.backend in ("postgresql", "both"):
            ok, reason = pg_available()
            if not ok:
                print(f"postgresql skipped: {reason}")
            else:
                root = Path(tmp) / "postgresql"
                root.mkdir()
                with temp_pg_database() as url:
                    problems += run("postgresql", url, root, args.workers, args.seconds, kinds)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
