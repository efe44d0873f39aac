"""The detector's database side: configuration read as CameraSpecs, violations written once
(with snapshot, audit entry and optional hazard), a disk spool while the database is away,
replayed in order without duplicates, and heartbeats."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, create_engine, func, select

import detectors.sink as sink_module
import detectors.spool as spool_module
from core import db
from core.config import Settings
from core.rbac import seed_permissions
from detectors.config import load_cameras
from detectors.sink import ViolationSink
from detectors.spool import JOURNAL, REJECTED, Spool
from detectors.types import CameraSpec, Hit
from models.hazard import Hazard, HazardSource
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from models.system import Attachment, AuditEntry
from models.video import (
    Camera,
    CameraStatus,
    VideoRule,
    VideoRuleKind,
    VideoViolation,
    VideoZone,
)
from models.workflow import WorkflowEvent
from tests import factories

RULE_KINDS = (
    Path(__file__).resolve().parents[2] / "data" / "reference" / "video" / "rule_kinds.json"
)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SQUARE = [[100.4, 100], [500, 100.6], [500, 400], [100, 400]]


@dataclass(frozen=True)
class World:
    ent: int
    dept: int
    area: int
    camera: int
    zone: int
    rule: int  # intrusion, no auto hazard
    hazard_rule: int  # ppe_missing, auto hazard


def _jpeg(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "JPEG")
    return out.getvalue()


def _build(engine: Engine) -> World:
    with Session(engine) as s:
        seed_permissions(s)
        for row in json.loads(RULE_KINDS.read_text(encoding="utf-8"))["rows"]:
            s.add(VideoRuleKind(**row))
        ent = factories.enterprise(s, None)
        dept = factories.department(s, ent.id, "机修车间")
        area = factories.make(s, "area", name="机修车间东区", enterprise_id=ent.id)
        camera = Camera(
            name="东门 1 号",
            source_uri="synthetic://yard",
            enterprise_id=ent.id,
            department_id=dept.id,
            frame_width=640,
            frame_height=480,
            detector_config={"weights": "yolov8n.pt", "classes": {"person": "person"}},
        )
        s.add(camera)
        s.flush()
        zone = VideoZone(
            camera_id=camera.id,
            name="冲压区",
            polygon=SQUARE,
            area_id=area.id,
            enterprise_id=ent.id,
        )
        s.add(zone)
        s.flush()
        rule = VideoRule(zone_id=zone.id, name="禁入", kind="intrusion", enterprise_id=ent.id)
        hazard_rule = VideoRule(
            zone_id=zone.id, name="安全帽", kind="ppe_missing", auto_hazard=True, params={}
        )
        s.add_all([rule, hazard_rule])
        s.commit()
        return World(ent.id, dept.id, area.id, camera.id, zone.id, rule.id, hazard_rule.id)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sink.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def world(sqlite_engine: Engine) -> World:
    return _build(sqlite_engine)


def _camera(engine: Engine) -> CameraSpec:
    with Session(engine) as s:
        (camera,) = load_cameras(s)
    return camera


def _hit(w: World, n: int, *, rule: int | None = None, track: int | None = 7) -> Hit:
    return Hit(
        camera_id=w.camera,
        rule_id=rule or w.rule,
        zone_id=w.zone,
        kind="ppe_missing" if rule == w.hazard_rule else "intrusion",
        track_id=track,
        confidence=0.9,
        at=T0 + timedelta(seconds=n),
        frame_index=n * 5,
        boxes=((110.0, 120.0, 150.0, 260.0),),
    )


def _rows(engine: Engine) -> list[VideoViolation]:
    with Session(engine) as s:
        return list(s.exec(select(VideoViolation).order_by(col(VideoViolation.id))).all())


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def _dead_engine(tmp_path: Path) -> Engine:
    """A database that cannot be opened: every connect raises OperationalError."""
    return create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


def _permit(engine: Engine, w: World, state: PermitState) -> int:
    """A permit in the zone's area, in ``state``."""
    with Session(engine) as s:
        ptype = PermitType(code="DH", name="动火作业", name_en="Hot work")
        s.add(ptype)
        s.flush()
        permit = Permit(
            enterprise_id=w.ent,
            permit_type_id=ptype.id,
            area_id=w.area,
            location="冲压区",
            planned_start=T0,
            planned_end=T0 + timedelta(hours=8),
            content="法兰焊接",
            state=state,
            started_at=T0,
        )
        s.add(permit)
        s.commit()
        return permit.id


def _guardian_post(engine: Engine, w: World) -> int:
    """A guardian post rule that suspends the permit when the post stands empty for 90 s."""
    with Session(engine) as s:
        rule = VideoRule(
            zone_id=w.zone,
            name="监护人",
            kind="post_unstaffed",
            enterprise_id=w.ent,
            params={"seconds": 90, "while_permit": True, "suspend_permit": True},
        )
        s.add(rule)
        s.commit()
        return rule.id


def _unstaffed(w: World, rule_id: int, permit_id: int, n: int = 1) -> Hit:
    return replace(_hit(w, n, rule=rule_id, track=None), kind="post_unstaffed", permit_id=permit_id)


def _suspensions(engine: Engine, permit_id: int) -> list[WorkflowEvent]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(WorkflowEvent).where(
                    WorkflowEvent.table_name == "permit",
                    WorkflowEvent.row_id == permit_id,
                    WorkflowEvent.action == "suspend",
                )
            ).all()
        )


# -- configuration ---------------------------------------------------------------------------


def test_load_cameras_fills_defaults_and_leaves_out_what_is_off(sqlite_engine: Engine) -> None:
    w = _build(sqlite_engine)
    with Session(sqlite_engine) as s:
        s.add(VideoRule(zone_id=w.zone, name="停用", kind="overcrowd", enabled=False))
        s.add(VideoRule(zone_id=w.zone, name="已删", kind="dwell", deleted_at=T0))
        s.add(VideoRule(zone_id=w.zone, name="人数", kind="overcrowd", params={"max_people": 5}))
        s.add(Camera(name="停用", source_uri="0", enabled=False))
        s.add(Camera(name="已删", source_uri="1", deleted_at=T0))
        s.commit()
        cameras = load_cameras(s)

    (camera,) = cameras
    assert (camera.id, camera.enterprise_id, camera.department_id) == (w.camera, w.ent, w.dept)
    assert camera.detector_config["classes"] == {"person": "person"}
    (zone,) = camera.zones
    assert zone.polygon == ((100, 100), (500, 101), (500, 400), (100, 400))
    assert zone.area_id == w.area
    params = {r.name: r.params for r in camera.rules}
    assert params == {
        "禁入": {"allowed_people": 0, "permitted_hours": [], "unless_permit": False},
        "安全帽": {"require": ["helmet"]},
        "人数": {"max_people": 5},
    }
    assert [r.auto_hazard for r in camera.rules] == [False, True, False]
    with Session(sqlite_engine) as s:
        assert load_cameras(s, camera_ids=[w.camera + 99]) == []
        assert [c.id for c in load_cameras(s, camera_ids=[w.camera])] == [w.camera]


def test_version_follows_the_configuration_only(sqlite_engine: Engine, settings: Settings) -> None:
    w = _build(sqlite_engine)
    first = _camera(sqlite_engine)
    assert _camera(sqlite_engine).version == first.version

    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.heartbeat(w.camera, CameraStatus.RUNNING, fps=5, lag_ms=40, last_frame_at=T0)
    assert sink.write(first, _hit(w, 1), _jpeg())
    assert _camera(sqlite_engine).version == first.version  # output is not configuration

    with Session(sqlite_engine) as s:
        rule = s.get(VideoRule, w.rule)
        assert rule is not None
        rule.params = {"allowed_people": 1}
        s.add(rule)
        s.commit()
    changed = _camera(sqlite_engine)
    assert changed.version != first.version
    assert changed.rules[0].params["allowed_people"] == 1

    with Session(sqlite_engine) as s:
        zone = s.get(VideoZone, w.zone)
        assert zone is not None
        zone.polygon = [[0, 0], [50, 0], [50, 50]]
        s.add(zone)
        s.commit()
    assert _camera(sqlite_engine).version not in (first.version, changed.version)


# -- writing ---------------------------------------------------------------------------------


def test_write_creates_one_violation_with_snapshot(
    empty_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _build(empty_engine)
    camera = _camera(empty_engine)
    with ViolationSink(empty_engine, settings, settings.data_dir / "spool") as sink:
        assert sink.write(camera, _hit(w, 1), _jpeg()) is True
        assert sink.write(camera, _hit(w, 1), _jpeg("blue")) is True  # already there: a no-op

        # A racing writer: its pre-check saw nothing, the unique index stops the second row.
        real, checks = sink_module._written, []

        def blind_once(session: Session, key: str) -> bool:
            checks.append(key)
            return False if len(checks) == 1 else real(session, key)

        monkeypatch.setattr(sink_module, "_written", blind_once)
        assert sink.write(camera, _hit(w, 1), _jpeg("green")) is True
        assert len(checks) == 2  # the second check came after the IntegrityError
        assert sink.pending() == 0

    (v,) = _rows(empty_engine)
    assert (v.camera_id, v.zone_id, v.rule_id, str(v.rule_kind)) == (
        w.camera,
        w.zone,
        w.rule,
        "intrusion",
    )
    assert (v.enterprise_id, v.department_id, str(v.state)) == (w.ent, w.dept, "new")
    assert (v.track_id, v.frame_index, v.confidence) == (7, 5, 0.9)
    assert v.boxes == [[110.0, 120.0, 150.0, 260.0]]
    assert v.idem_key == _hit(w, 1).key
    assert v.hazard_id is None
    with Session(empty_engine) as s:
        (photo,) = s.exec(select(Attachment)).all()
        assert photo.id == v.snapshot_id
        assert (photo.table_name, photo.row_id, photo.mime) == (
            "video_violation",
            v.id,
            "image/jpeg",
        )
        logged = s.exec(
            select(AuditEntry).where(
                AuditEntry.table_name == "video_violation", AuditEntry.row_id == v.id
            )
        ).all()
        assert [e.action for e in logged] == ["create"]


def test_auto_hazard_opens_a_detector_hazard(world: World, sqlite_engine: Engine, settings) -> None:
    camera = _camera(sqlite_engine)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(camera, _hit(world, 1, rule=world.hazard_rule), _jpeg())

    (v,) = _rows(sqlite_engine)
    with Session(sqlite_engine) as s:
        hazard = s.get(Hazard, v.hazard_id)
        assert hazard is not None
        assert (str(hazard.source), str(hazard.state)) == (HazardSource.DETECTOR, "reported")
        assert (hazard.enterprise_id, hazard.area_id) == (world.ent, world.area)
        assert "东门 1 号" in hazard.title
        opening = s.exec(
            select(WorkflowEvent).where(
                WorkflowEvent.table_name == "hazard", WorkflowEvent.row_id == hazard.id
            )
        ).one()
        assert opening.attachment_ids == [v.snapshot_id]


def test_a_hit_the_database_refuses_is_set_aside(world: World, sqlite_engine, settings) -> None:
    camera = _camera(sqlite_engine)
    spool = settings.data_dir / "spool"
    sink = ViolationSink(sqlite_engine, settings, spool)
    bad = Hit(**{**_hit(world, 1).__dict__, "rule_id": 9999})  # no such rule: FK refuses it
    assert sink.write(camera, bad, _jpeg()) is False
    assert sink.pending() == 0  # not retried forever
    assert (spool / REJECTED / JOURNAL).read_text(encoding="utf-8").count("\n") == 1
    assert sink.write(camera, _hit(world, 2), _jpeg())
    assert len(_rows(sqlite_engine)) == 1


def test_write_keeps_the_clean_frame_the_labels_and_the_permit(
    world: World, sqlite_engine: Engine, settings: Settings
) -> None:
    permit = _permit(sqlite_engine, world, PermitState.IN_PROGRESS)
    labels = [
        {"role": "person", "xyxy": [110, 120, 150, 260], "confidence": 0.9, "track_id": 7},
        {"role": "person", "xyxy": [300, 110, 340, 250], "confidence": 0.62, "track_id": 9},
    ]
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    hit = replace(_hit(world, 1), permit_id=permit)
    assert sink.write(_camera(sqlite_engine), hit, _jpeg(), _jpeg("white"), labels)

    (v,) = _rows(sqlite_engine)
    assert (v.labels, v.permit_id) == (labels, permit)
    with Session(sqlite_engine) as s:
        frame, snapshot = s.get(Attachment, v.frame_id), s.get(Attachment, v.snapshot_id)
        assert frame is not None and snapshot is not None and frame.id != snapshot.id
        assert (frame.table_name, frame.row_id, frame.mime) == (
            "video_violation",
            v.id,
            "image/jpeg",
        )
    assert _suspensions(sqlite_engine, permit) == []  # an intrusion rule suspends nothing


def test_guardian_absent_suspends_the_running_permit_once(
    world: World, sqlite_engine: Engine, settings: Settings
) -> None:
    rule = _guardian_post(sqlite_engine, world)
    permit = _permit(sqlite_engine, world, PermitState.IN_PROGRESS)
    camera = _camera(sqlite_engine)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(camera, _unstaffed(world, rule, permit), _jpeg())

    (event_,) = _suspensions(sqlite_engine, permit)
    with Session(sqlite_engine) as s:
        row = s.get(Permit, permit)
        assert row is not None and row.state == PermitState.SUSPENDED
        assert event_.comment == row.suspend_reason
        row.state = PermitState.IN_PROGRESS  # resumed by the crew lead
        s.add(row)
        s.commit()
    for part in ("东门 1 号", "冲压区", "90"):
        assert part in (event_.comment or "")

    # The same hit again (a replay, a re-run over the same video): no second suspension.
    assert sink.write(camera, _unstaffed(world, rule, permit), _jpeg())
    assert len(_suspensions(sqlite_engine, permit)) == 1
    with Session(sqlite_engine) as s:
        assert s.get(Permit, permit).state == PermitState.IN_PROGRESS  # type: ignore[union-attr]
    assert len(_rows(sqlite_engine)) == 1


@pytest.mark.parametrize("state", [PermitState.COMPLETED, PermitState.SUSPENDED])
def test_guardian_absent_leaves_a_permit_no_longer_running_alone(
    world: World, sqlite_engine: Engine, settings: Settings, state: PermitState
) -> None:
    rule = _guardian_post(sqlite_engine, world)
    permit = _permit(sqlite_engine, world, state)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(_camera(sqlite_engine), _unstaffed(world, rule, permit), _jpeg())

    (v,) = _rows(sqlite_engine)
    assert v.permit_id == permit
    assert _suspensions(sqlite_engine, permit) == []
    with Session(sqlite_engine) as s:
        assert s.get(Permit, permit).state == state  # type: ignore[union-attr]


# -- the spool -------------------------------------------------------------------------------


def _short_busy(engine: Engine, ms: int = 50) -> Engine:
    """After core.db's pragmas (5 s busy timeout), wait only ``ms`` for a locked file."""
    event.listen(engine, "connect", lambda conn, _rec: conn.execute(f"PRAGMA busy_timeout={ms}"))
    return engine


def test_locked_database_spools_in_order_and_catches_up(
    world: World,
    sqlite_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sink_module, "HEARTBEAT_BUSY_MS", 50)
    camera = _camera(sqlite_engine)
    engine = _short_busy(db.make_engine(f"sqlite:///{tmp_path / 'sink.db'}"))
    spool = settings.data_dir / "spool"
    sink = ViolationSink(engine, settings, spool, retry_s=0)
    blocker = sqlite3.connect(tmp_path / "sink.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert [sink.write(camera, _hit(world, n), _jpeg()) for n in (1, 2, 3)] == [False] * 3
        assert sink.heartbeat(world.camera, "running", fps=5) is False
        assert sink.pending() == 3
        assert len(list(spool.glob("*.jpg"))) == 3
        assert sink.replay() == 0  # still locked: nothing leaves the spool
    finally:
        blocker.rollback()
        blocker.close()

    assert sink.write(camera, _hit(world, 4), _jpeg()) is True  # the spool goes first
    rows = _rows(sqlite_engine)
    assert [r.idem_key for r in rows] == [_hit(world, n).key for n in (1, 2, 3, 4)]
    assert all(r.snapshot_id for r in rows)
    assert sink.pending() == 0
    assert not (spool / JOURNAL).exists()
    assert list(spool.glob("*.jpg")) == []
    assert sink.heartbeat(world.camera, "running", fps=5)
    engine.dispose()


def test_spool_survives_a_restart_and_a_crash_before_its_cursor_moves(
    world: World,
    sqlite_engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    camera = _camera(sqlite_engine)
    spool = settings.data_dir / "spool"
    down = ViolationSink(_dead_engine(tmp_path), settings, spool, retry_s=0)
    for n in (1, 2, 3):
        assert down.write(camera, _hit(world, n), _jpeg()) is False
    down.close()

    def crash(self: Spool, offset: int, record: Any) -> None:
        raise RuntimeError("power cut")

    first = ViolationSink(sqlite_engine, settings, spool)
    monkeypatch.setattr(Spool, "advance", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        first.replay()  # hit 1 committed, its removal from the spool never happened
    monkeypatch.undo()
    assert len(_rows(sqlite_engine)) == 1

    with ViolationSink(sqlite_engine, settings, spool) as restarted:
        assert restarted.pending() == 3
        assert restarted.replay() == 3
        assert restarted.pending() == 0
    rows = _rows(sqlite_engine)
    assert [r.idem_key for r in rows] == [_hit(world, n).key for n in (1, 2, 3)]
    assert _count(sqlite_engine, Attachment) == 3


def test_a_line_cut_short_is_dropped_on_open(world: World, sqlite_engine, settings, tmp_path):
    camera = _camera(sqlite_engine)
    spool = settings.data_dir / "spool"
    down = ViolationSink(_dead_engine(tmp_path), settings, spool, retry_s=0)
    assert down.write(camera, _hit(world, 1), _jpeg()) is False
    with (spool / JOURNAL).open("ab") as fh:
        fh.write(b'{"format":1,"key":"half')  # the crash came mid-append

    with ViolationSink(sqlite_engine, settings, spool) as sink:
        assert sink.pending() == 1
        assert sink.write(camera, _hit(world, 2), _jpeg()) is True
    assert [r.idem_key for r in _rows(sqlite_engine)] == [_hit(world, n).key for n in (1, 2)]


def test_unreachable_postgres_spools(world: World, sqlite_engine, settings) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    sink = ViolationSink(engine, settings, settings.data_dir / "spool", retry_s=60)
    camera = _camera(sqlite_engine)
    assert sink.write(camera, _hit(world, 1), _jpeg()) is False
    assert sink.write(camera, _hit(world, 2), _jpeg()) is False  # backing off: no connect
    assert sink.heartbeat(world.camera, "error", last_error="x") is False
    assert sink.pending() == 2
    engine.dispose()


def test_a_spooled_hit_keeps_its_frame_labels_and_permit(
    world: World, sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    rule = _guardian_post(sqlite_engine, world)
    permit = _permit(sqlite_engine, world, PermitState.IN_PROGRESS)
    camera = _camera(sqlite_engine)
    labels = [{"role": "person", "xyxy": [1, 2, 3, 4], "confidence": 0.5, "track_id": 3}]
    spool = settings.data_dir / "spool"
    down = ViolationSink(_dead_engine(tmp_path), settings, spool, retry_s=0)
    hit = _unstaffed(world, rule, permit)
    assert down.write(camera, hit, _jpeg(), _jpeg("white"), labels) is False
    assert len(list(spool.glob("*.jpg"))) == 2  # the snapshot and the clean frame

    with ViolationSink(sqlite_engine, settings, spool) as sink:
        assert sink.replay() == 1
    (v,) = _rows(sqlite_engine)
    assert v.snapshot_id and v.frame_id and v.frame_id != v.snapshot_id
    assert (v.labels, v.permit_id) == (labels, permit)
    assert len(_suspensions(sqlite_engine, permit)) == 1
    assert list(spool.glob("*.jpg")) == []


def test_a_format_1_line_still_replays(world: World, sqlite_engine, settings) -> None:
    """Lines an older detector spooled: a snapshot, no frame, no labels, no permit."""
    camera = _camera(sqlite_engine)
    hit = _hit(world, 1)
    spool = settings.data_dir / "spool"
    spool.mkdir(parents=True)
    snapshot = hashlib.sha256(hit.key.encode()).hexdigest()[:32] + ".jpg"  # format 1's name
    (spool / snapshot).write_bytes(_jpeg())
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
    (v,) = _rows(sqlite_engine)
    assert v.idem_key == hit.key and v.snapshot_id is not None
    assert (v.frame_id, v.labels, v.permit_id) == (None, [], None)
    assert not (spool / JOURNAL).exists()


# -- heartbeats ------------------------------------------------------------------------------


def test_heartbeat_updates_the_camera(world: World, sqlite_engine, settings, tmp_path) -> None:
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    seen = T0 + timedelta(minutes=5)
    assert sink.heartbeat(
        world.camera, CameraStatus.ERROR, fps=4.5, lag_ms=120, last_frame_at=seen,
        last_error="decode failed " * 200,
    )  # fmt: skip
    with Session(sqlite_engine) as s:
        cam = s.get(Camera, world.camera)
        assert cam is not None
        assert (cam.status, cam.fps, cam.lag_ms) == (CameraStatus.ERROR, 4.5, 120)
        assert cam.last_frame_at is not None
        assert cam.last_frame_at.replace(tzinfo=UTC) == seen
        assert cam.last_error is not None and len(cam.last_error) == 1000
        assert cam.heartbeat_at is not None  # the detector is alive, even with a broken camera
        assert abs(cam.heartbeat_at.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
    with sqlite_engine.connect() as conn:  # the shorter wait was for the heartbeat only
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    dead = ViolationSink(_dead_engine(tmp_path), settings, settings.data_dir / "spool2")
    assert dead.heartbeat(world.camera, "running") is False  # logged, never raised
