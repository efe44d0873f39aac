"""Permit numbers (type code + plant day + sequence) stay unique when many people apply at
once: threads on one SQLite file, two processes on it, and threads on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.crud.registry import get_spec
from core.crud.service import create_row
from core.permit.rules import next_number, plant_day
from core.rbac import SYSTEM
from core.reference import load_all
from models.permit import Permit
from models.permit_reference import PermitType

START = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 plant time
PER_WORKER = 8


def _apply(engine: Engine, n: int, barrier: threading.Barrier | None = None) -> list[str]:
    numbers = []
    if barrier is not None:
        barrier.wait()
    for _ in range(n):
        with Session(engine) as session:
            dh = session.exec(select(PermitType).where(PermitType.code == "DH")).one()
            raw = {
                "permit_type_id": dh.id,
                "location": "罐区",
                "planned_start": START.isoformat(),
                "planned_end": (START + timedelta(hours=2)).isoformat(),
                "content": "管线焊接",
            }
            numbers.append(create_row(session, get_spec("permit"), SYSTEM, raw).number)
            session.commit()
    return numbers


def _with_references(engine: Engine) -> None:
    with Session(engine) as session:
        load_all(session)
        session.commit()


def _threads(engine: Engine, workers: int = 3) -> list[str]:
    barrier = threading.Barrier(workers)
    results: list[list[str]] = [[] for _ in range(workers)]

    def run(i: int) -> None:
        results[i] = _apply(engine, PER_WORKER, barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [n for r in results for n in r]


def _expected(count: int) -> set[str]:
    return {f"DH{plant_day(START):%Y%m%d}{i:03d}" for i in range(1, count + 1)}


def test_concurrent_applications_get_distinct_consecutive_numbers(empty_engine: Engine) -> None:
    _with_references(empty_engine)
    numbers = _threads(empty_engine)
    assert len(numbers) == len(set(numbers)) == 3 * PER_WORKER
    assert set(numbers) == _expected(3 * PER_WORKER)


def test_two_processes_share_one_sequence(tmp_path: Path) -> None:
    """Two app processes (say, the app and an import from the command line) on one file."""
    from sqlmodel import SQLModel

    from core.db import make_engine

    url = f"sqlite:///{tmp_path / 'numbers.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    _with_references(engine)
    script = (
        "import sys; from core.db import make_engine;"
        "from tests.modules.test_permit_number import _apply;"
        f"print(' '.join(_apply(make_engine({url!r}), {PER_WORKER})))"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    numbers = [n for out in outputs for n in out]
    assert set(numbers) == _expected(2 * PER_WORKER) and len(numbers) == 2 * PER_WORKER
    with Session(engine) as session:
        assert len(session.exec(select(Permit.number)).all()) == 2 * PER_WORKER
    engine.dispose()


def test_numbers_continue_after_imported_permits(empty_engine: Engine) -> None:
    """Permits numbered elsewhere (the demo, an import) are never numbered again."""
    _with_references(empty_engine)
    with Session(empty_engine) as session:
        dh = session.exec(select(PermitType).where(PermitType.code == "DH")).one()
        day = plant_day(START)
        session.add(
            Permit(
                number=f"DH{day:%Y%m%d}041",
                permit_type_id=dh.id,
                location="x",
                planned_start=START,
                planned_end=START,
                content="imported",
            )
        )
        session.commit()
        assert next_number(session, "DH", day) == f"DH{day:%Y%m%d}042"
        assert next_number(session, "DH", day) == f"DH{day:%Y%m%d}043"
        assert next_number(session, "GC", day) == f"GC{day:%Y%m%d}001"
