"""The detector's database side: configuration read as CameraSpecs, violations written once
(with snapshot, audit entry and optional hazard), a disk spool while the database is away,
replayed in order without duplicates, and heartbeats."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import detectors.sink as sink_module
from core.config import Settings
from core.db import SQLITE_BUSY_SECONDS
from detectors.config import load_cameras
from detectors.sink import ViolationSink
from detectors.spool import JOURNAL, REJECTED
from detectors.types import Hit
from models.hazard import Hazard, HazardSource
from models.permit import Permit, PermitState
from models.system import Attachment, AuditEntry
from models.video import (
    Camera,
    CameraStatus,
    VideoRule,
    VideoZone,
)
from models.workflow import WorkflowEvent
from tests.detectors.sink_world import (
    T0,
    World,
    add_permit,
    build,
    camera_spec,
    dead_engine,
    guardian_post,
    jpeg,
    make_hit,
    suspensions,
    unstaffed,
    violation_rows,
)

# -- configuration ---------------------------------------------------------------------------


def test_load_cameras_fills_defaults_and_leaves_out_what_is_off(sqlite_engine: Engine) -> None:
    w = build(sqlite_engine)
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
    w = build(sqlite_engine)
    first = camera_spec(sqlite_engine)
    assert camera_spec(sqlite_engine).version == first.version

    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.heartbeat(w.camera, CameraStatus.RUNNING, fps=5, lag_ms=40, last_frame_at=T0)
    assert sink.write(first, make_hit(w, 1), jpeg())
    assert camera_spec(sqlite_engine).version == first.version  # output is not configuration

    with Session(sqlite_engine) as s:
        rule = s.get(VideoRule, w.rule)
        assert rule is not None
        rule.params = {"allowed_people": 1}
        s.add(rule)
        s.commit()
    changed = camera_spec(sqlite_engine)
    assert changed.version != first.version
    assert changed.rules[0].params["allowed_people"] == 1

    with Session(sqlite_engine) as s:
        zone = s.get(VideoZone, w.zone)
        assert zone is not None
        zone.polygon = [[0, 0], [50, 0], [50, 50]]
        s.add(zone)
        s.commit()
    assert camera_spec(sqlite_engine).version not in (first.version, changed.version)


# -- writing ---------------------------------------------------------------------------------


def test_write_creates_one_violation_with_snapshot(
    empty_engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = build(empty_engine)
    camera = camera_spec(empty_engine)
    with ViolationSink(empty_engine, settings, settings.data_dir / "spool") as sink:
        assert sink.write(camera, make_hit(w, 1), jpeg()) is True
        assert sink.write(camera, make_hit(w, 1), jpeg("blue")) is True  # already there: a no-op

        # A racing writer: its pre-check saw nothing, the unique index stops the second row.
        real, checks = sink_module._written, []

        def blind_once(session: Session, key: str) -> bool:
            checks.append(key)
            return False if len(checks) == 1 else real(session, key)

        monkeypatch.setattr(sink_module, "_written", blind_once)
        assert sink.write(camera, make_hit(w, 1), jpeg("green")) is True
        assert len(checks) == 2  # the second check came after the IntegrityError
        assert sink.pending() == 0

    (v,) = violation_rows(empty_engine)
    assert (v.camera_id, v.zone_id, v.rule_id, str(v.rule_kind)) == (
        w.camera,
        w.zone,
        w.rule,
        "intrusion",
    )
    assert (v.enterprise_id, v.department_id, str(v.state)) == (w.ent, w.dept, "new")
    assert (v.track_id, v.frame_index, v.confidence) == (7, 5, 0.9)
    assert v.boxes == [[110.0, 120.0, 150.0, 260.0]]
    assert v.idem_key == make_hit(w, 1).key
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


def test_auto_hazard_opens_a_detector_hazard(plant: World, sqlite_engine: Engine, settings) -> None:
    camera = camera_spec(sqlite_engine)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(camera, make_hit(plant, 1, rule=plant.hazard_rule), jpeg())

    (v,) = violation_rows(sqlite_engine)
    with Session(sqlite_engine) as s:
        hazard = s.get(Hazard, v.hazard_id)
        assert hazard is not None
        assert (str(hazard.source), str(hazard.state)) == (HazardSource.DETECTOR, "reported")
        assert (hazard.enterprise_id, hazard.area_id) == (plant.ent, plant.area)
        assert "东门 1 号" in hazard.title
        opening = s.exec(
            select(WorkflowEvent).where(
                WorkflowEvent.table_name == "hazard", WorkflowEvent.row_id == hazard.id
            )
        ).one()
        assert opening.attachment_ids == [v.snapshot_id]


def test_a_hit_the_database_refuses_is_set_aside(plant: World, sqlite_engine, settings) -> None:
    camera = camera_spec(sqlite_engine)
    spool = settings.data_dir / "spool"
    sink = ViolationSink(sqlite_engine, settings, spool)
    bad = Hit(**{**make_hit(plant, 1).__dict__, "rule_id": 9999})  # no such rule: FK refuses it
    assert sink.write(camera, bad, jpeg()) is False
    assert sink.pending() == 0  # not retried forever
    assert (spool / REJECTED / JOURNAL).read_text(encoding="utf-8").count("\n") == 1
    assert sink.write(camera, make_hit(plant, 2), jpeg())
    assert len(violation_rows(sqlite_engine)) == 1


def test_write_keeps_the_clean_frame_the_labels_and_the_permit(
    plant: World, sqlite_engine: Engine, settings: Settings
) -> None:
    permit = add_permit(sqlite_engine, plant, PermitState.IN_PROGRESS)
    labels = [
        {"role": "person", "xyxy": [110, 120, 150, 260], "confidence": 0.9, "track_id": 7},
        {"role": "person", "xyxy": [300, 110, 340, 250], "confidence": 0.62, "track_id": 9},
    ]
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    hit = replace(make_hit(plant, 1), permit_id=permit)
    assert sink.write(camera_spec(sqlite_engine), hit, jpeg(), jpeg("white"), labels)

    (v,) = violation_rows(sqlite_engine)
    assert (v.labels, v.permit_id) == (labels, permit)
    with Session(sqlite_engine) as s:
        frame, snapshot = s.get(Attachment, v.frame_id), s.get(Attachment, v.snapshot_id)
        assert frame is not None and snapshot is not None and frame.id != snapshot.id
        assert (frame.table_name, frame.row_id, frame.mime) == (
            "video_violation",
            v.id,
            "image/jpeg",
        )
    assert suspensions(sqlite_engine, permit) == []  # an intrusion rule suspends nothing


def test_guardian_absent_suspends_the_running_permit_once(
    plant: World, sqlite_engine: Engine, settings: Settings
) -> None:
    rule = guardian_post(sqlite_engine, plant)
    permit = add_permit(sqlite_engine, plant, PermitState.IN_PROGRESS)
    camera = camera_spec(sqlite_engine)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(camera, unstaffed(plant, rule, permit), jpeg())

    (event_,) = suspensions(sqlite_engine, permit)
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
    assert sink.write(camera, unstaffed(plant, rule, permit), jpeg())
    assert len(suspensions(sqlite_engine, permit)) == 1
    with Session(sqlite_engine) as s:
        assert s.get(Permit, permit).state == PermitState.IN_PROGRESS  # type: ignore[union-attr]
    assert len(violation_rows(sqlite_engine)) == 1


@pytest.mark.parametrize("state", [PermitState.COMPLETED, PermitState.SUSPENDED])
def test_guardian_absent_leaves_a_permit_no_longer_running_alone(
    plant: World, sqlite_engine: Engine, settings: Settings, state: PermitState
) -> None:
    rule = guardian_post(sqlite_engine, plant)
    permit = add_permit(sqlite_engine, plant, state)
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    assert sink.write(camera_spec(sqlite_engine), unstaffed(plant, rule, permit), jpeg())

    (v,) = violation_rows(sqlite_engine)
    assert v.permit_id == permit
    assert suspensions(sqlite_engine, permit) == []
    with Session(sqlite_engine) as s:
        assert s.get(Permit, permit).state == state  # type: ignore[union-attr]


def test_heartbeat_updates_the_camera(plant: World, sqlite_engine, settings, tmp_path) -> None:
    sink = ViolationSink(sqlite_engine, settings, settings.data_dir / "spool")
    seen = T0 + timedelta(minutes=5)
    assert sink.heartbeat(
        plant.camera, CameraStatus.ERROR, fps=4.5, lag_ms=120, last_frame_at=seen,
        last_error="decode failed " * 200,
    )  # fmt: skip
    with Session(sqlite_engine) as s:
        cam = s.get(Camera, plant.camera)
        assert cam is not None
        assert (cam.status, cam.fps, cam.lag_ms) == (CameraStatus.ERROR, 4.5, 120)
        assert cam.last_frame_at is not None
        assert cam.last_frame_at.replace(tzinfo=UTC) == seen
        assert cam.last_error is not None and len(cam.last_error) == 1000
        assert cam.heartbeat_at is not None  # the detector is alive, even with a broken camera
        assert abs(cam.heartbeat_at.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
    with sqlite_engine.connect() as conn:  # the shorter wait was for the heartbeat only
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_SECONDS * 1000
    dead = ViolationSink(dead_engine(tmp_path), settings, settings.data_dir / "spool2")
    assert dead.heartbeat(plant.camera, "running") is False  # logged, never raised
