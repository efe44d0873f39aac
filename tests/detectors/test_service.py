"""The detector service end to end: sources, the ONNX decode, the pipeline loop into a real
(temp SQLite) database, idempotent re-runs, a SIGKILL mid-run, and a database outage.

Two kinds of model drive the pipeline: an *oracle* that turns the synthetic scene's ground
truth into detections (always available, exact, so the rule outcomes are known), and the
shipped ``data/models/ppe_synth_yolo11n.onnx`` (tests skip, saying why, when it is absent).
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import supervision as sv
from sqlalchemy import event
from sqlmodel import Session, select

from core import db, migrate
from core.config import REPO_ROOT, Settings, get_settings, load_settings
from detectors import service as service_mod
from detectors.accuracy import truth_detections
from detectors.backends import BackendError, decode_yolo, letterbox, load_backend, with_roles
from detectors.scene import SyntheticScene, write_video, zones_for
from detectors.service import run
from detectors.sources import StreamSource, backoff_delays, file_frames, open_source
from models.video import Camera, VideoRule, VideoViolation, VideoZone

MODEL = REPO_ROOT / "data" / "models" / "ppe_synth_yolo11n.onnx"
SCENE = dict(seed=3, width=640, height=360, fps=10.0, people=6)
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
N_FRAMES = 40
needs_model = pytest.mark.skipif(
    not MODEL.is_file(), reason=f"{MODEL.relative_to(REPO_ROOT)} not trained/shipped yet"
)


# ------------------------------------------------------------------------------ helpers


def scene() -> SyntheticScene:
    return SyntheticScene(
        SCENE["seed"], SCENE["width"], SCENE["height"], SCENE["fps"], people=SCENE["people"]
    )


class OracleBackend:
    """Detections from the scene's ground truth, frame by frame in order: a perfect model."""

    def __init__(self, on_frame: Any = None) -> None:
        self.names = {0: "person", 1: "head", 2: "helmet"}
        self.scene = scene()
        self.index = 0
        self.on_frame = on_frame

    def detect(self, frame: np.ndarray) -> sv.Detections:
        if self.on_frame is not None:
            self.on_frame(self.index)
        _, truth = self.scene.frame(self.index)
        self.index += 1
        return truth_detections(truth)


def make_settings(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("SAFELOOP_CONFIG", "DATABASE_URL", "SAFELOOP_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(folder))
    get_settings.cache_clear()
    settings = load_settings(data_dir=folder)
    migrate.upgrade(settings)
    return settings


def add_camera(
    settings: Settings, source_uri: str, *, weights: str = "oracle.onnx", anyone: bool = False
) -> int:
    # A real model's class → role map comes from its .json sidecar (classes left empty).
    """A camera over the scene with its danger, post, confined and floor zones, and three
    rules: missing helmet on the floor, intrusion into the danger area, overcrowding."""
    zones = {z.kind: z for z in zones_for(scene())}
    with db.session_scope(db.get_engine(settings)) as session:
        camera = Camera(
            name="test camera", source_uri=source_uri, fps_target=10,
            frame_width=SCENE["width"], frame_height=SCENE["height"],
            detector_config={"weights": weights, "classes": {}, "confidence": 0.35,
                             "imgsz": 320},
        )  # fmt: skip
        session.add(camera)
        session.flush()
        ids = {}
        for kind in ("ppe_required", "danger", "confined_space"):
            zone = VideoZone(
                camera_id=camera.id, name=zones[kind].name, kind=kind,
                polygon=[list(p) for p in zones[kind].polygon],
            )  # fmt: skip
            session.add(zone)
            session.flush()
            ids[kind] = zone.id
        rules = [
            ("no helmet", ids["ppe_required"], "ppe_missing", {"require": ["helmet"]}),
            ("keep out", ids["danger"], "intrusion", {"allowed_people": 0}),
            ("crowd", ids["confined_space"], "overcrowd", {"max_people": 1}),
        ]
        if anyone:  # fires for every tracked person: a weak model still gives violations
            rules.append(("anyone", ids["ppe_required"], "intrusion", {"allowed_people": 0}))
        for name, zone_id, kind, params in rules:
            session.add(
                VideoRule(zone_id=zone_id, name=name, kind=kind, params=params, cooldown_s=60,
                          min_confidence=0.3, min_frames=3)
            )  # fmt: skip
        return int(camera.id)


def violations(settings: Settings) -> list[tuple]:
    """(rule, zone, track, time, has snapshot) of every violation, sorted."""
    with Session(db.get_engine(settings)) as session:
        rows = session.exec(
            select(VideoViolation, VideoRule.name, VideoZone.name)
            .join(VideoRule, VideoRule.id == VideoViolation.rule_id)
            .join(VideoZone, VideoZone.id == VideoViolation.zone_id)
        ).all()
    return sorted(
        (rule, zone, v.track_id, v.occurred_at.replace(tzinfo=UTC), v.snapshot_id is not None)
        for v, rule, zone in rows
    )


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch) -> list[OracleBackend]:
    """Every camera gets a fresh oracle backend; the list shows the ones made."""
    made: list[OracleBackend] = []

    def backend_for(self: Any, camera: Any) -> OracleBackend:
        made.append(OracleBackend(getattr(self, "on_frame", None)))
        return made[-1]

    monkeypatch.setattr(service_mod.Service, "backend_for", backend_for)
    return made


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write_video(tmp_path_factory.mktemp("video") / "scene.mp4", scene(), N_FRAMES)
    os.utime(path, (START.timestamp(), START.timestamp()))
    return path


@pytest.fixture(autouse=True)
def _clean_engines() -> Any:
    yield
    get_settings.cache_clear()
    db.reset_engines()


# ------------------------------------------------------------------------------ (a) decode


def test_decode_yolo_nms_and_letterbox_inverse() -> None:
    """Per-class NMS, the confidence floor and the letterbox undone, on a hand-made head."""
    # 640x360 frame letterboxed into 320: ratio 0.5, padded 70 px top and bottom.
    ratio, pad = 0.5, (0, 70)
    anchors = [  # cx, cy, w, h in the 320 input; scores person, head, helmet
        (100, 150, 40, 100, 0.90, 0.0, 0.0),  # person A
        (102, 151, 40, 100, 0.80, 0.0, 0.0),  # A again, weaker: suppressed
        (101, 110, 12, 12, 0.0, 0.0, 0.70),  # A's helmet overlaps A: another class, kept
        (250, 200, 30, 80, 0.20, 0.0, 0.0),  # under the confidence floor
        (250, 200, 30, 80, 0.0, 0.60, 0.0),  # the same box is a confident head
    ]
    output = np.array(anchors, dtype=np.float32).T[None]  # (1, 4 + 3, anchors)
    xyxy, scores, class_id = decode_yolo(
        output, conf=0.25, iou=0.45, ratio=ratio, pad=pad, shape=(360, 640)
    )
    assert class_id.tolist() == [0, 2, 1]
    assert scores.tolist() == pytest.approx([0.9, 0.7, 0.6])
    assert xyxy[0].tolist() == pytest.approx([160, 60, 240, 260])  # (80-0)/0.5, (100-70)/0.5 …
    roles = with_roles(
        sv.Detections(xyxy=xyxy, confidence=scores, class_id=class_id),
        {0: "person", 1: "head", 2: "helmet"},
        {"person": "person", "helmet": "helmet", "head": "ignore"},
    )
    assert roles.data["role"].tolist() == ["person", "helmet"]
    assert roles.data["class_name"].tolist() == ["person", "helmet"]


def test_letterbox_matches_ultralytics_geometry() -> None:
    image, ratio, pad = letterbox(np.zeros((360, 640, 3), np.uint8), 320)
    assert image.shape == (320, 320, 3) and ratio == 0.5 and pad == (0, 70)
    assert image[0, 0].tolist() == [114, 114, 114] and image[160, 160].tolist() == [0, 0, 0]


def test_load_backend_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="not found"):
        load_backend({"weights": "nowhere.onnx"}, tmp_path)
    (tmp_path / "model.tflite").write_bytes(b"x")
    with pytest.raises(BackendError, match="unknown weights format"):
        load_backend({"weights": "model.tflite"}, tmp_path)


# ------------------------------------------------------------------------------ (b) sources


def test_file_source_thins_to_target_fps_with_file_times(video: Path) -> None:
    frames = list(file_frames(video, 5))  # a 10 fps file at 5 fps: every other frame
    assert len(frames) == N_FRAMES // 2
    assert frames[0][0].shape == (360, 640, 3)
    assert [at for _, at in frames[:3]] == [START + timedelta(seconds=s) for s in (0, 0.2, 0.4)]
    again = list(open_source(str(video), 5))  # the same file: the same times (mtime start)
    assert [at for _, at in again] == [at for _, at in frames]


def test_synthetic_source_is_deterministic() -> None:
    uri = "synthetic://production?seed=3&people=4&width=320&height=180&fps=10"
    runs = [list(itertools.islice(open_source(uri, 5, start=START, realtime=False), 4))
            for _ in range(2)]  # fmt: skip
    assert [at for _, at in runs[0]] == [START + timedelta(seconds=0.2 * i) for i in range(4)]
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(*runs, strict=True))
    assert [at for _, at in runs[0]] == [at for _, at in runs[1]]


class FakeCapture:
    def __init__(self, frames: int) -> None:
        self.left = frames

    def isOpened(self) -> bool:  # cv2's name
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.left -= 1
        return (True, np.zeros((4, 4, 3), np.uint8)) if self.left >= 0 else (False, None)

    def release(self) -> None:
        pass


def test_stream_reconnects_with_backoff_and_reports_it() -> None:
    assert list(itertools.islice(backoff_delays(), 7)) == [1, 2, 4, 8, 16, 30, 30]
    opens = iter([None, None, FakeCapture(2), None, FakeCapture(5)])
    statuses: list[tuple[str, str | None]] = []
    slept: list[float] = []
    stop = threading.Event()

    def opener(target: Any) -> Any:
        capture = next(opens, "end")
        if capture == "end":
            stop.set()  # never loop forever if the source misbehaves
        if capture is None or capture == "end":
            raise OSError("connection refused")
        return capture

    source = StreamSource(
        "rtsp://camera/1", 0, stop=stop, opener=opener,  # fps 0: keep every frame
        on_status=lambda s, e: statuses.append((s, e)), sleep=lambda d: slept.append(d) or False,
    )  # fmt: skip
    got = []
    for _frame, at in source.frames():
        got.append(at)
        if len(got) == 4:
            stop.set()
    assert len(got) == 4
    assert slept == [1, 2, 1, 2]  # back-off grows while failing, starts over after a frame
    assert [s for s, _ in statuses] == ["reconnecting", "reconnecting", "running",
                                        "reconnecting", "reconnecting", "running"]  # fmt: skip
    assert "connection refused" in (statuses[0][1] or "")
    assert all(at.tzinfo is UTC for at in got)


# ------------------------------------------------------------------------------ (c) end to end


def test_run_writes_each_violation_once_with_snapshots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, video: Path, oracle: list
) -> None:
    settings = make_settings(tmp_path / "data", monkeypatch)
    camera_id = add_camera(settings, str(video))
    summary = run(settings, max_frames=N_FRAMES)
    first = violations(settings)
    kinds = {(rule, zone) for rule, zone, *_ in first}
    assert ("no helmet", "production floor") in kinds  # person 1 never wears one
    assert all(snapshot for *_, snapshot in first)
    assert summary["cameras"][camera_id]["frames"] == N_FRAMES
    assert summary["violations"] == len(first) and not summary["errors"]
    # The camera row got heartbeats and ends stopped.
    with Session(db.get_engine(settings)) as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None and camera.status == "stopped"
        assert camera.last_frame_at is not None and camera.heartbeat_at is not None
        # Each violation keeps the clean frame and every box on it (training data).
        for v in session.exec(select(VideoViolation)).all():
            assert v.frame_id is not None and v.frame_id != v.snapshot_id
            assert v.labels and {tuple(label) for label in v.labels} == {
                ("role", "xyxy", "confidence", "track_id")
            }
            assert all(isinstance(c, int) for label in v.labels for c in label["xyxy"])
            if v.track_id is not None:
                assert v.track_id in {label["track_id"] for label in v.labels}
            roles = {label["role"] for label in v.labels}
            # heads and helmets too, not only the tracked people: a PPE model learns from them
            assert "person" in roles and roles & {"head", "helmet"}
    again = run(settings, max_frames=N_FRAMES)  # the same input once more: nothing new
    assert violations(settings) == first  # keyed writes: a replay adds no row
    assert again["frames"] == N_FRAMES


@needs_model
def test_run_with_the_shipped_model_finds_the_scene_violations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, video: Path
) -> None:
    settings = make_settings(tmp_path / "model", monkeypatch)
    add_camera(settings, str(video), weights=str(MODEL), anyone=True)
    summary = run(settings)
    found = violations(settings)
    assert not summary["errors"]
    rules = {rule for rule, *_ in found}
    assert "anyone" in rules, found
    assert all(snapshot for *_, snapshot in found)
    ms = summary["cameras"][next(iter(summary["cameras"]))]["ms_per_frame"]
    assert ms["infer"] is not None and ms["infer"] > 0
    run(settings)
    assert violations(settings) == found


# ------------------------------------------------------------------------------ (d) SIGKILL


@needs_model
def test_sigkill_mid_run_then_restart_equals_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A synthetic camera paced at 10 fps from a fixed start, so a run takes seconds and a
    # second run sees the same frames at the same times.
    uri = ("synthetic://production?seed=3&people=6&width=640&height=360&fps=10"
           "&start=2026-01-05T08:00:00Z")  # fmt: skip
    frames = 40
    baseline = make_settings(tmp_path / "baseline", monkeypatch)
    add_camera(baseline, uri, weights=str(MODEL), anyone=True)
    run(baseline, max_frames=frames, realtime=False)
    expected = violations(baseline)
    assert expected, "the scene should produce violations"

    killed = make_settings(tmp_path / "killed", monkeypatch)
    add_camera(killed, uri, weights=str(MODEL), anyone=True)
    env = {**os.environ, "SAFELOOP_DATA_DIR": str(killed.data_dir)}
    argv = [sys.executable, "-m", "core.cli", "detector", "run", "--max-frames", str(frames)]
    proc = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    database = killed.data_dir / "safeloop.db"
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        with sqlite3.connect(database, timeout=5) as conn:
            if conn.execute("select count(*) from video_violation").fetchone()[0]:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL, err.decode()[-2000:]
    partial = violations(killed)
    assert 0 < len(partial) < len(expected), "killed mid-run"

    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert violations(killed) == expected  # the same set, nothing twice


# ------------------------------------------------------------------------------ (e) outage


def test_database_outage_spools_then_replays_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, video: Path, oracle: list
) -> None:
    baseline = make_settings(tmp_path / "baseline", monkeypatch)
    add_camera(baseline, str(video))
    run(baseline, max_frames=N_FRAMES)
    expected = violations(baseline)
    db.reset_engines()

    settings = make_settings(tmp_path / "outage", monkeypatch)
    add_camera(settings, str(video))
    engine = db.get_engine(settings)
    down = threading.Event()

    @event.listens_for(engine, "do_connect")
    def _refuse(*_args: Any) -> None:
        if down.is_set():
            raise sqlite3.OperationalError("unable to open database file")

    def on_frame(index: int) -> None:  # the database goes away for frames 3..24
        if index == 3:
            down.set()
            engine.dispose()
        elif index == 25:
            down.clear()

    monkeypatch.setattr(service_mod.Service, "on_frame", staticmethod(on_frame), raising=False)
    summary = run(settings, max_frames=N_FRAMES)
    camera = summary["cameras"][next(iter(summary["cameras"]))]
    assert camera["frames"] == N_FRAMES
    assert camera["violations"] < camera["hits"]  # some went to the spool first …
    assert violations(settings) == expected  # … and all of them reached the database
