"""The detector's spool: hits the database cannot take (locked, unreachable, refused) wait on
disk, survive a restart or a crash, and replay in order, once, with their frame, labels and
permit; an older spool format still replays."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

import detectors.sink as sink_module
import detectors.spool as spool_module
from core import db
from core.config import Settings
from detectors.sink import ViolationSink
from detectors.spool import JOURNAL, Spool
from models.permit import PermitState
from models.system import Attachment
from tests.detectors.sink_world import (
    World,
    add_permit,
    camera_spec,
    count_rows,
    dead_engine,
    guardian_post,
    jpeg,
    make_hit,
    suspensions,
    unstaffed,
    violation_rows,
)


def _short_busy(engine: Engine, ms: int = 50) -> Engine:
    """After core.db's pragmas (5 s busy timeout), wait only ``ms`` for a locked file."""
    event.listen(engine, "connect", lambda conn, _rec: conn.execute(f"PRAGMA busy_timeout={ms}"))
    return engine


def test_locked_database_spools_in_order_and_catches_up(
    plant: World,
    sqlite_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sink_module, "HEARTBEAT_BUSY_MS", 50)
    camera = camera_spec(sqlite_engine)
    engine = _short_busy(db.make_engine(f"sqlite:///{tmp_path / 'sink.db'}"))
    spool = settings.data_dir / "spool"
    sink = ViolationSink(engine, settings, spool, retry_s=0)
    blocker = sqlite3.connect(tmp_path / "sink.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert [sink.write(camera, make_hit(plant, n), jpeg()) for n in (1, 2, 3)] == [False] * 3
        assert sink.heartbeat(plant.camera, "running", fps=5) is False
        assert sink.pending() == 3
        assert len(list(spool.glob("*.jpg"))) == 3
        assert sink.replay() == 0  # still locked: nothing leaves the spool
    finally:
        blocker.rollback()
        blocker.close()

    assert sink.write(camera, make_hit(plant, 4), jpeg()) is True  # the spool goes first
    rows = violation_rows(sqlite_engine)
    assert [r.idem_key for r in rows] == [make_hit(plant, n).key for n in (1, 2, 3, 4)]
    assert all(r.snapshot_id for r in rows)
    assert sink.pending() == 0
    assert not (spool / JOURNAL).exists()
    assert list(spool.glob("*.jpg")) == []
    assert sink.heartbeat(plant.camera, "running", fps=5)
    engine.dispose()


def test_spool_survives_a_restart_and_a_crash_before_its_cursor_moves(
    plant: World,
    sqlite_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    camera = camera_spec(sqlite_engine)
    spool = settings.data_dir / "spool"
    down = ViolationSink(dead_engine(tmp_path), settings, spool, retry_s=0)
    for n in (1, 2, 3):
        assert down.write(camera, make_hit(plant, n), jpeg()) is False
    down.close()

    def crash(self: Spool, offset: int, record: Any) -> None:
        raise RuntimeError("power cut")

    first = ViolationSink(sqlite_engine, settings, spool)
    monkeypatch.setattr(Spool, "advance", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        first.replay()  # hit 1 committed, its removal from the spool never happened
    monkeypatch.undo()
    assert len(violation_rows(sqlite_engine)) == 1

    with ViolationSink(sqlite_engine, settings, spool) as restarted:
        assert restarted.pending() == 3
        assert restarted.replay() == 3
        assert restarted.pending() == 0
    rows = violation_rows(sqlite_engine)
    assert [r.idem_key for r in rows] == [make_hit(plant, n).key for n in (1, 2, 3)]
    assert count_rows(sqlite_engine, Attachment) == 3


def test_a_line_cut_short_is_dropped_on_open(plant: World, sqlite_engine, settings, tmp_path):
    camera = camera_spec(sqlite_engine)
    spool = settings.data_dir / "spool"
    down = ViolationSink(dead_engine(tmp_path), settings, spool, retry_s=0)
    assert down.write(camera, make_hit(plant, 1), jpeg()) is False
    with (spool / JOURNAL).open("ab") as fh:
        fh.write(b'{"format":1,"key":"half')  # the crash came mid-append

    with ViolationSink(sqlite_engine, settings, spool) as sink:
        assert sink.pending() == 1
        assert sink.write(camera, make_hit(plant, 2), jpeg()) is True
    assert [r.idem_key for r in violation_rows(sqlite_engine)] == [
        make_hit(plant, n).key for n in (1, 2)
    ]


def test_unreachable_postgres_spools(plant: World, sqlite_engine, settings) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    sink = ViolationSink(engine, settings, settings.data_dir / "spool", retry_s=60)
    camera = camera_spec(sqlite_engine)
    assert sink.write(camera, make_hit(plant, 1), jpeg()) is False
    assert sink.write(camera, make_hit(plant, 2), jpeg()) is False  # backing off: no connect
    assert sink.heartbeat(plant.camera, "error", last_error="x") is False
    assert sink.pending() == 2
    engine.dispose()


def test_a_spooled_hit_keeps_its_frame_labels_and_permit(
    plant: World, sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rule = guardian_post(sqlite_engine, plant)
    permit = add_permit(sqlite_engine, plant, PermitState.IN_PROGRESS)
    camera = camera_spec(sqlite_engine)
    labels = [{"role": "person", "xyxy": [1, 2, 3, 4], "confidence": 0.5, "track_id": 3}]
    spool = settings.data_dir / "spool"
    down = ViolationSink(dead_engine(tmp_path), settings, spool, retry_s=0)
    hit = unstaffed(plant, rule, permit)
    assert down.write(camera, hit, jpeg(), jpeg("white"), labels) is False
    assert len(list(spool.glob("*.jpg"))) == 2  # the snapshot and the clean frame

    with ViolationSink(sqlite_engine, settings, spool) as sink:
        assert sink.replay() == 1
    (v,) = violation_rows(sqlite_engine)
    assert v.snapshot_id and v.frame_id and v.frame_id != v.snapshot_id
    assert (v.labels, v.permit_id) == (labels, permit)
    assert len(suspensions(sqlite_engine, permit)) == 1
    assert list(spool.glob("*.jpg")) == []


def test_a_format_1_line_still_replays(plant: World, sqlite_engine, settings) -> None:
    """Lines an older detector spooled: a snapshot, no frame, no labels, no permit."""
    camera = camera_spec(sqlite_engine)
    hit = make_hit(plant, 1)
    spool = settings.data_dir / "spool"
    spool.mkdir(parents=True)
    snapshot = hashlib.sha256(hit.key.encode()).hexdigest()[:32] + ".jpg"  # format 1's name
    (spool / snapshot).write_bytes(jpeg())
    old_hit = {k: v for k, v in hit.__dict__.items() if k != "permit_id"}
    line = {
        "format": 1,
        "key": hit.key,
        "snapshot": snapshot,
        "camera": spool_module._camera_json(camera, hit),
        "hit": {**old_hit, "at": hit.at.isoformat()},
    }
    (spool / JOURNAL).write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")

    with ViolationSink(sqlite_engine, settings, spool) as sink:
        assert sink.pending() == 1
        assert sink.replay() == 1
    (v,) = violation_rows(sqlite_engine)
    assert v.idem_key == hit.key and v.snapshot_id is not None
    assert (v.frame_id, v.labels, v.permit_id) == (None, [], None)
    assert not (spool / JOURNAL).exists()


# -- heartbeats ------------------------------------------------------------------------------
