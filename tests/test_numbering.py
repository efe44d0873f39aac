"""Record numbers under load: one allocator hands out every generated number, so concurrent
reporters and the rows of one Excel import never draw the same one and no report is lost."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, select

import models
from core import audit, db
from core.config import Settings
from core.crud import excel
from core.crud.registry import get_spec
from core.hazard.flow import report_hazard
from core.numbering import next_in, next_number
from core.rbac import actor_for, seed_permissions
from models.accounts import User
from models.hazard import Hazard
from tests import factories
from tests.factories import Org, Users
from tests.pg import pg_available, temp_pg_database

WORKERS = 4
SECONDS = 1.0


def test_two_claims_are_consecutive(session: Session) -> None:
    first = next_number(session, "test:A-")
    assert next_number(session, "test:A-") == first + 1


def test_a_new_counter_continues_after_the_numbers_already_taken(
    session: Session, org: Org, users: Users
) -> None:
    for number in ("YH-2031-000007", "YH-2031-000041", "YH-2030-000900"):
        report_hazard(session, users.admin, _hazard(org, number=number))
    assert next_in(session, Hazard.number, "YH-2031-") == 42


def test_an_import_without_numbers_numbers_every_row(
    session: Session, org: Org, users: Users
) -> None:
    book = Workbook()
    book.active.append(["title", "enterprise_id", "location"])
    for n in range(3):
        book.active.append([f"导入隐患{n}", "苏州精工机械有限公司", "机修车间"])
    buf = io.BytesIO()
    book.save(buf)
    report = excel.import_rows(session, get_spec("hazard"), users.admin, buf.getvalue(), "zh-CN")
    assert report.ok, report.errors
    numbers = session.exec(
        select(Hazard.number).where(col(Hazard.title).startswith("导入隐患"))
    ).all()
    assert len(set(numbers)) == 3


def _hazard(org: Org, **values: Any) -> dict[str, Any]:
    return {"title": "配电箱门未关闭", "enterprise_id": org.ent1, "location": "机修车间", **values}


def _reporter(url: str, worker: int, org: Org, user_id: int, start: Any, results: list) -> None:
    """One writer (its own engine and connections) reporting hazards for ``SECONDS``; appends
    (worker, attempts, errors). Threads, not processes: the database arbitrates between
    connections either way, and spawned processes hang under pytest-xdist's workers."""
    engine = db.make_engine(url)
    with Session(engine) as s:
        actor = actor_for(s, s.get(User, user_id))
    start.wait()
    attempts, errors, until = 0, [], time.monotonic() + SECONDS
    while time.monotonic() < until:
        attempts += 1
        try:
            with Session(engine) as s:
                report_hazard(s, actor, _hazard(org, title=f"并发{worker}-{attempts}"))
                s.commit()
        except Exception as exc:  # every failure is a lost report: the test lists them
            errors.append(repr(exc)[:200])
    engine.dispose()
    results.append((worker, attempts, errors))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A committed database (not a rolled-back test session) that other processes can open."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    with temp_pg_database() as url:
        yield url


def test_concurrent_reporters_lose_no_report(shared_url: str, settings: Settings) -> None:
    engine = db.make_engine(shared_url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as s:
        seed_permissions(s)
        org = factories.build_org(s)
        admin = factories.user(s, settings, "admin", models.enums.Role.ADMIN)
        s.commit()
        admin_id = admin.id
    start, outcome = threading.Barrier(WORKERS), []
    writers = [
        threading.Thread(target=_reporter, args=(shared_url, w, org, admin_id, start, outcome))
        for w in range(WORKERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    assert len(outcome) == WORKERS
    with Session(engine) as s:
        mine = col(Hazard.title).startswith("并发")
        rows = s.exec(select(Hazard.title, Hazard.number).where(mine)).all()
    engine.dispose()
    assert [e for _, _, errors in outcome for e in errors] == []
    expected = sorted(f"并发{w}-{n}" for w, tries, _ in outcome for n in range(1, tries + 1))
    assert sorted(t for t, _ in rows) == expected
    seqs = sorted(int(number.rsplit("-", 1)[1]) for _, number in rows)
    assert seqs == list(range(1, len(expected) + 1))


@pytest.mark.postgres
def test_a_number_is_drawn_under_the_audit_heads_lock(settings: Settings) -> None:
    """One lock order for every writer: the chain head before the number counter. A detector
    hit audits first and numbers its hazard after; a report numbers first and audits after;
    with the counter taken first the two deadlocked on PostgreSQL (62 lost writes a minute in
    bench/bench_concurrency.py). So drawing a number must already hold the head."""
    ok, reason = pg_available()
    if not ok:
        pytest.skip(reason)
    with temp_pg_database() as url:
        engine = db.make_engine(url)
        SQLModel.metadata.create_all(engine)
        with Session(engine) as first:
            audit.record(first, None, "login")  # the chain exists, as in any installation
            first.commit()
        with Session(engine) as drawer, Session(engine) as other:
            next_number(drawer, "hazard:YH-2026-")  # open transaction, nothing committed
            other.exec(text("SET lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock"):
                other.exec(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
            drawer.rollback()
        engine.dispose()
