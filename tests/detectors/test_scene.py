"""The synthetic scene (determinism, truth, URIs, video files), the torch shim and the shipped
synthetic PPE model."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors.layout import KINDS, SceneParams, parse_uri
from detectors.scene import (
    SyntheticScene,
    scene_from_uri,
    write_video,
    zones_for,
)

MODELS = Path(__file__).resolve().parents[2] / "data" / "models"
ONNX = MODELS / "ppe_synth_yolo11n.onnx"


def small(seed: int = 7, kind: str = "production", people: int = 6) -> SyntheticScene:
    return SyntheticScene(seed, 320, 180, 10.0, people=people, kind=kind)


def test_same_seed_same_frames_and_truth() -> None:
    a, b = small(), small()
    for (i, fa, ta), (j, fb, tb) in zip(a.frames(5, start=40), b.frames(5, start=40), strict=True):
        assert i == j
        assert np.array_equal(fa, fb)
        assert ta == tb
    frame, truth = a.frame(42)  # random access matches sequential access
    assert np.array_equal(frame, next(b.frames(1, start=42))[1]) and truth == a.frame(42)[1]


def test_other_seed_other_scene() -> None:
    assert not np.array_equal(small(1).frame(0)[0], small(2).frame(0)[0])


@pytest.mark.parametrize("kind", KINDS)
def test_truth_inside_frame_and_people_move(kind: str) -> None:
    scene = small(kind=kind)
    ids = [p.id for p in scene.frame(0)[1]]
    assert ids == list(range(6))
    for _i, frame, truth in scene.frames(3, start=0):
        assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8
        for p in truth:
            x1, y1, x2, y2 = p.box
            assert 0 <= x1 < x2 <= 320 and 0 <= y1 < y2 <= 180
            hx1, hy1, hx2, hy2 = p.head
            assert x1 <= hx1 < hx2 <= x2 and y1 <= hy1 < hy2 <= y2  # the head is on the body
    later = scene.frame(200)[1]
    assert any(p.box != q.box for p, q in zip(scene.frame(0)[1], later, strict=True))


def test_helmet_and_vest_flags_vary() -> None:
    for seed in range(5):
        truth = small(seed).frame(0)[1]
        assert {p.helmet for p in truth} == {True, False}
        assert {p.vest for p in truth} == {True, False}


def test_someone_dwells_and_the_group_crowds() -> None:
    scene = small(3)
    boxes = [scene.frame(i)[1] for i in range(0, 600, 10)]
    still = [sum(a[k].box == b[k].box for a, b in itertools.pairwise(boxes)) for k in range(6)]
    assert max(still) >= 5  # someone stands still across several samples
    centres = [
        [((p.box[0] + p.box[2]) / 2, p.box[3]) for p in truth[1:4]] for truth in boxes
    ]  # the group of three
    spread = [np.ptp(np.array(c), axis=0).max() for c in centres]
    assert min(spread) < 0.25 * 320


def test_render_is_fast() -> None:
    import time

    scene = SyntheticScene(1, 640, 360, 10.0, people=8)
    times = []
    for i in range(15):
        started = time.perf_counter()
        scene.frame(i)
        times.append(time.perf_counter() - started)
    assert sorted(times)[len(times) // 2] < 0.03  # ~1 ms idle; generous for a shared CPU


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("synthetic://production", SceneParams()),
        (
            "synthetic://storage?seed=3&people=2&width=320&height=240&fps=5",
            SceneParams("storage", 3, 2, 320, 240, 5.0),
        ),
        ("SYNTHETIC://office?noise=2.5", SceneParams("office", noise=2.5)),
        ("synthetic://demo1?seed=4", SceneParams("demo1", seed=4)),
        ("synthetic://", SceneParams()),
    ],
)
def test_parse_uri(uri: str, expected: SceneParams) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("rtsp://cam/1", "not a synthetic"),
        ("synthetic://production?seeed=1", "unknown"),
        ("synthetic://production?seed=x", "bad value"),
        ("synthetic://production?width=10", "too small"),
    ],
)
def test_parse_uri_errors(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_uri(uri)


def test_scene_from_uri_and_zones() -> None:
    scene = scene_from_uri("synthetic://confined_space?seed=2&people=4&width=320&height=180")
    assert (scene.width, scene.height, scene.fps, len(scene.people)) == (320, 180, 10.0, 4)
    zones = zones_for(scene)
    assert [z.kind for z in zones] == ["danger", "post", "confined_space", "ppe_required"]
    for z in zones:
        assert len(z.polygon) >= 3
        assert all(0 <= x <= 320 and 0 <= y <= 180 for x, y in z.polygon)
    unknown = scene_from_uri("synthetic://demo1?width=320&height=180")
    assert unknown.layout == "production" and unknown.kind == "demo1"


def test_the_danger_zone_is_the_hatched_area() -> None:
    scene = small(people=0)
    danger = np.array(zones_for(scene)[0].polygon, np.int32)
    x, y = danger.mean(axis=0).astype(int)
    colours = {tuple(int(v) for v in scene.frame(0)[0][y + dy, x]) for dy in range(-6, 7)}
    assert any(c[2] > 200 and c[0] < 60 for c in colours)  # yellow stripes
    assert any(max(c) < 60 for c in colours)  # black stripes


def test_write_video_round_trips(tmp_path: Path) -> None:
    scene = small()
    path = write_video(tmp_path / "plant.mp4", scene, 12)
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.isOpened()
        assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == 320
        assert int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == 180
        read = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            read.append(frame)
    finally:
        cap.release()
    assert len(read) == 12
    diff = np.abs(read[5].astype(int) - scene.frame(5)[0].astype(int)).mean()
    assert diff < 12  # lossy, but the same picture


def test_torch_shim_makes_torchvision_nms_work() -> None:
    torch = pytest.importorskip("torch", reason="torch is a training extra")
    from detectors.torch_shim import install, nms

    install()
    import torchvision

    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [21, 21, 30, 30]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert nms(boxes, scores, 0.5).tolist() == [3, 0]
    assert torchvision.ops.nms(boxes, scores, 0.5).tolist() == [3, 0]
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []


def test_shipped_model_finds_people_and_tells_helmets() -> None:
    if not ONNX.exists():
        print(f"skipped: {ONNX} is absent (python -m detectors.train_synthetic --out data/models)")
        pytest.skip(f"{ONNX.name} absent")
    ort = pytest.importorskip("onnxruntime")
    from detectors.train_synthetic import detect

    info = json.loads(ONNX.with_suffix(".json").read_text())
    assert list(info["classes"].values()) == ["person", "head", "helmet"]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(ONNX), opts, providers=["CPUExecutionProvider"])
    scene = SyntheticScene(123_456, 640, 360, 10.0, people=4, kind="storage")
    frame, truth = scene.frame(30)
    found = detect(session, frame, info["imgsz"], 0.25)
    people = [box for c, _s, box in found if c == 0]
    assert len(people) >= 2
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in people]
    hits = sum(any(p.box[0] <= x <= p.box[2] and p.box[1] <= y <= p.box[3] for p in truth)
               for x, y in centres)  # fmt: skip
    assert hits >= len(people) - 1
