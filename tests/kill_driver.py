"""Writes that get killed on purpose: the kill tests and ``bench/bench_kill.py`` start one in a
child process, SIGKILL it part-way and then check that nothing is left half-done.

Four kinds of write, each the path production takes:

- ``import``: the ``safeloop import`` CLI with a sheet of hazards (all or nothing);
- ``backup``: the ``safeloop backup`` CLI (the archive appears only when complete);
- ``bulk``: one transaction that confirms every waiting hazard, the shape a list-page bulk
  step would have (the app has no bulk step of its own; ``workflow.fire`` per row, one commit);
- ``detect``: the detector's ``ViolationSink`` writing hits whose rule opens a hazard.

A child tells the parent its write has begun by printing a line on stderr (the CLI's progress
line, or ``STARTED`` here), so a kill lands in the write, not in the imports of a cold start.
Run ``python -m tests.kill_driver bulk|detect`` with the database in ``SAFELOOP_DATA_DIR`` /
``DATABASE_URL``.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from alembic import command as alembic
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from core import audit, backup
from core.config import Settings, load_settings
from core.crud import excel
from core.crud.registry import get_spec
from core.db import get_engine, reset_engines, session_scope
from core.hazard.flow import act, report_hazard
from core.init_db import initialise
from core.migrate import alembic_config
from core.rbac import SYSTEM, actor_for
from detectors.config import load_cameras
from detectors.sink import ViolationSink
from detectors.types import Hit
from models.accounts import User
from models.enums import Role
from models.hazard import Hazard, HazardSource, HazardState
from models.org import Person
from models.video import Camera, VideoRule, VideoViolation, VideoZone
from models.workflow import WorkflowEvent
from tests import factories

KINDS = ("import", "backup", "bulk", "detect")
IMPORT_TITLE = "断电导入"  # every imported hazard's title starts with it
BULK_TITLE = "批量确认"
IMPORT_ROWS = 1000
BULK_ROWS = 100
DETECT_HITS = 150
FILLER_ROWS = 3000  # hazards already there, so a backup has something to copy
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
#: Seconds a kill may wait after the write has begun: about how long each write takes on a
#: 2-core machine, so kills spread over the whole write and a few land after it.
WINDOW_S = {"import": 2.5, "backup": 1.5, "bulk": 2.0, "detect": 2.5}


# ------------------------------------------------------------------------- the database


def environment(settings: Settings) -> dict[str, str]:
    """A child's environment: the same data dir and database as ``settings``."""
    env = {k: v for k, v in os.environ.items() if k not in ("SAFELOOP_CONFIG",)}
    env["SAFELOOP_DATA_DIR"] = str(settings.data_dir)
    env["DATABASE_URL"] = settings.database_url
    env["PYTHONPATH"] = str(ROOT)
    return env


def sheet(rows: int, title: str, enterprise: str) -> bytes:
    """A hazard sheet without a number column (the allocator numbers every row)."""
    book = Workbook()
    book.active.append(["title", "enterprise_id", "location"])
    for n in range(rows):
        book.active.append([f"{title}{n}", enterprise, "机修车间"])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def prepare(settings: Settings) -> None:
    """``settings`` must be this process's ``get_settings()`` too: the audit key is found
    through it (the data dir's key file), as in the children.

    A production-like database: migrated and seeded by ``initialise``, an organisation,
    the ``admin`` account, a camera whose rule opens hazards, hazards waiting for the bulk
    confirmation and filler hazards (imported, so they carry their events and audit rows).

    The schema is the models' (stamped at the head revision), as the other tests build it:
    models may run ahead of the migrations while a change is under way."""
    engine = get_engine(settings)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        alembic.stamp(alembic_config(conn), "head")
    initialise(settings, demo=False)
    with session_scope(engine) as s:
        org = factories.build_org(s)
        factories.user(s, settings, "admin", Role.ADMIN)
        camera = Camera(
            name="东门 1 号",
            source_uri="synthetic://yard",
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            frame_width=640,
            frame_height=480,
            detector_config={"weights": "none", "classes": {"person": "person"}},
        )
        s.add(camera)
        s.flush()
        zone = VideoZone(
            camera_id=camera.id,
            name="冲压区",
            polygon=[[100, 100], [500, 100], [500, 400], [100, 400]],
            enterprise_id=org.ent1,
        )
        s.add(zone)
        s.flush()
        s.add(VideoRule(zone_id=zone.id, name="安全帽", kind="ppe_missing", auto_hazard=True))
        for n in range(BULK_ROWS):
            values = {"title": f"{BULK_TITLE}{n}", "enterprise_id": org.ent1, "location": "东区"}
            report_hazard(s, SYSTEM, values)
    with session_scope(engine) as s:
        admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
        data = sheet(FILLER_ROWS, "既有隐患", "苏州精工机械有限公司")
        report = excel.import_rows(s, get_spec("hazard"), admin, data, "zh-CN")
        assert report.ok, report.errors
    (settings.data_dir / "import.xlsx").write_bytes(
        sheet(IMPORT_ROWS, IMPORT_TITLE, "苏州精工机械有限公司")
    )
    if settings.is_sqlite:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    reset_engines()


def command(kind: str) -> list[str]:
    """The child's command line for ``kind``."""
    cli = [sys.executable, "-m", "core.cli"]
    if kind == "import":
        return [*cli, "import", "hazard", "import.xlsx", "--as", "admin"]
    if kind == "backup":
        return [*cli, "backup"]
    return [sys.executable, "-m", "tests.kill_driver", kind]


# ----------------------------------------------------------------------------- killing


@dataclass(frozen=True)
class Run:
    killed: bool  # SIGKILL reached a running child (False: it had finished first)
    after_s: float  # seconds from "write begun" to the kill (or to the child's own end)


def run_and_kill(settings: Settings, kind: str, window_s: float | None, rng: Random) -> Run:
    """Start ``kind``'s write, wait until it says it has begun, SIGKILL it after a random
    0..``window_s`` seconds (``None``: let it finish, to measure how long the write takes).
    A child that fails on its own is an error."""
    child = subprocess.Popen(
        command(kind),
        cwd=settings.data_dir,
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stderr.readline() if child.stderr else ""
        begun = time.monotonic()
        if line and window_s is not None:
            time.sleep(rng.uniform(0.0, window_s))
        killed = bool(line) and window_s is not None and child.poll() is None
        if killed:
            child.send_signal(signal.SIGKILL)
        rest = child.communicate(timeout=300)[1]
        if not line or (not killed and child.returncode != 0):
            raise RuntimeError(f"{kind} failed (rc {child.returncode}): {line}{rest}"[-2000:])
        return Run(killed, time.monotonic() - begun)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class Findings:
    integrity_ok: bool
    partial: list[str]  # what was left half-done; empty when nothing was
    chain_ok: bool
    chain_reason: str


def _integrity(engine: Engine) -> bool:
    if engine.dialect.name != "sqlite":
        return True  # PostgreSQL's WAL replay is the server's job; it has no such pragma
    with engine.connect() as conn:
        return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def _count(s: Session, *where: object) -> int:
    return s.exec(select(func.count()).select_from(Hazard).where(*where)).one()


def _events(s: Session, ids: object, action: str) -> int:
    stmt = select(func.count()).where(
        WorkflowEvent.table_name == "hazard",
        col(WorkflowEvent.row_id).in_(ids),
        WorkflowEvent.action == action,
    )
    return s.exec(stmt).one()


def _partial_import(s: Session) -> list[str]:
    mine = col(Hazard.title).startswith(IMPORT_TITLE)
    rows = _count(s, mine)
    ids = select(Hazard.id).where(mine)
    events = _events(s, ids, "report")
    if rows in (0, IMPORT_ROWS) and events == rows:
        return []
    return [f"import: {rows} of {IMPORT_ROWS} rows, {events} opening events"]


def _partial_bulk(s: Session) -> list[str]:
    mine = col(Hazard.title).startswith(BULK_TITLE)
    confirmed = _count(s, mine, Hazard.state != HazardState.REPORTED)
    events = _events(s, select(Hazard.id).where(mine), "confirm")
    if confirmed in (0, BULK_ROWS) and events == confirmed:
        return []
    return [f"bulk: {confirmed} of {BULK_ROWS} confirmed, {events} confirm events"]


def _partial_detect(s: Session) -> list[str]:
    violations = s.exec(select(VideoViolation)).all()
    orphans = [v.id for v in violations if v.hazard_id is None or not s.get(Hazard, v.hazard_id)]
    hazards = _count(s, Hazard.source == HazardSource.DETECTOR)
    found = [f"detect: violation {i} without its hazard" for i in orphans]
    if hazards != len(violations):
        found.append(f"detect: {hazards} detector hazards for {len(violations)} violations")
    return found


def _partial_backup(settings: Settings) -> list[str]:
    """Every archive named like a good one must be one: it reads and checks out whole."""
    found = []
    for archive in backup.list_backups(settings):
        try:
            backup.read_manifest(archive)
            with zipfile.ZipFile(archive) as zf:
                bad = zf.testzip()
        except Exception as exc:
            found.append(f"backup: {archive.name} unreadable: {exc}")
            continue
        if bad is not None:
            found.append(f"backup: {archive.name} has a damaged entry {bad}")
    return found


def check(settings: Settings) -> Findings:
    """Open the database as the app would and look for anything half-done, of every kind."""
    reset_engines()
    engine = get_engine(settings)
    try:
        integrity = _integrity(engine)
        with Session(engine) as s:
            partial = _partial_import(s) + _partial_bulk(s) + _partial_detect(s)
            report = audit.verify(s)
        partial += _partial_backup(settings)
    finally:
        reset_engines()
    return Findings(integrity, partial, bool(report.ok), str(report.reason or ""))


# -------------------------------------------------------------------- the child's writes


def _bulk(settings: Settings) -> None:
    """Confirm every waiting hazard in one transaction: all of them or none."""
    with session_scope(get_engine(settings)) as s:
        admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
        mine = col(Hazard.title).startswith(BULK_TITLE)
        ids = s.exec(select(Hazard.id).where(mine, Hazard.state == HazardState.REPORTED)).all()
        owner = s.exec(select(Person.id).order_by(col(Person.id))).first()
        print("STARTED", file=sys.stderr, flush=True)
        for hazard_id in ids:
            act(s, admin, hazard_id, "confirm", payload={"owner_id": owner})


def _detect(settings: Settings) -> None:
    """Write hits one after the other, as a running camera does (one commit per hit)."""
    engine = get_engine(settings)
    with Session(engine) as s:
        (camera,) = load_cameras(s)
    (rule,) = camera.rules
    snapshot = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(snapshot, "JPEG")
    with ViolationSink(engine, settings, settings.data_dir / "spool") as sink:
        print("STARTED", file=sys.stderr, flush=True)
        for n in range(DETECT_HITS):
            hit = Hit(
                camera_id=camera.id,
                rule_id=rule.id,
                zone_id=rule.zone_id,
                kind=rule.kind,
                track_id=n,
                confidence=0.9,
                at=T0 + timedelta(seconds=n),
                frame_index=n,
                boxes=((110.0, 120.0, 150.0, 260.0),),
            )
            sink.write(camera, hit, snapshot.getvalue())


def main(kind: str) -> int:
    settings = load_settings()
    {"bulk": _bulk, "detect": _detect}[kind](settings)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
