"""The detector service on CPU: ms per stage, fps, CPU, latency, and streams held at 10 fps.

    .venv/bin/python bench/bench_detector.py [--frames 150] [--model data/models/x.onnx]
        [--imgsz 320 640] [--streams 4] [--stream-seconds 10] [--no-ultralytics]

Everything runs in a temp data dir (SQLite migrated to head) with one camera over a synthetic
640x360 video written first, three zones and three rules (missing helmet, intrusion,
overcrowding), through the real service loop (``detectors.service.run``), so the numbers
include the heartbeats, the config polling and the transactional sink.

Printed per image size: mean ms/frame of decode, inference, tracking + zones + rules, and sink
(annotate + JPEG + commit, per frame, zero on frames without a hit), fps (frames over the
pipeline's busy time and over wall time), process CPU % (100 = one core), the frame-to-
committed-violation latency p50/p95, and the pipeline's overhead as a share of inference.
Then ultralytics' own ``model.track`` loop over the same video (when ultralytics is
installed), and how many synthetic cameras paced at 10 fps each keep 10 fps together.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import db, migrate
from core.config import REPO_ROOT, Settings, get_settings, load_settings
from detectors.scene import SyntheticScene, write_video, zones_for
from detectors.service import run
from models.video import Camera, VideoRule, VideoZone

MODEL = REPO_ROOT / "data" / "models" / "ppe_synth_yolo11n.onnx"
CLASSES = {"person": "person", "head": "head", "helmet": "helmet"}
SCENE_URI = "synthetic://production?seed={seed}&people=6&width=640&height=360&fps=10"
RULES = (("no helmet", "ppe_required", "ppe_missing", {"require": ["helmet"]}),
         ("keep out", "danger", "intrusion", {"allowed_people": 0}),
         ("crowd", "confined_space", "overcrowd", {"max_people": 2}))  # fmt: skip


def settings_in(folder: Path) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["SAFELOOP_DATA_DIR"] = str(folder)
    for name in ("SAFELOOP_CONFIG", "DATABASE_URL", "SAFELOOP_DATABASE_URL"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
    db.reset_engines()
    settings = load_settings(data_dir=folder)
    migrate.upgrade(settings)
    return settings


def add_camera(settings: Settings, uri: str, model: Path, imgsz: int, seed: int = 3) -> int:
    zones = {z.kind: z for z in zones_for(SyntheticScene(seed, 640, 360, 10.0, people=6))}
    with db.session_scope(db.get_engine(settings)) as session:
        camera = Camera(
            name=f"bench {seed}", source_uri=uri, fps_target=10, frame_width=640,
            frame_height=360,
            detector_config={"weights": str(model), "classes": CLASSES, "confidence": 0.35,
                             "imgsz": imgsz},
        )  # fmt: skip
        session.add(camera)
        session.flush()
        for name, kind, rule_kind, params in RULES:
            zone = VideoZone(camera_id=camera.id, name=zones[kind].name, kind=kind,
                             polygon=[list(p) for p in zones[kind].polygon])  # fmt: skip
            session.add(zone)
            session.flush()
            session.add(VideoRule(zone_id=zone.id, name=name, kind=rule_kind, params=params,
                                  cooldown_s=30, min_confidence=0.3, min_frames=3))  # fmt: skip
        return int(camera.id)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def weights_for(model: Path, imgsz: int) -> Path:
    """The ONNX file, unless its input is fixed at another size: then the ``.pt`` next to it
    (through ultralytics), since ONNX Runtime cannot resize a fixed graph."""
    import onnxruntime as ort

    shape = ort.InferenceSession(str(model)).get_inputs()[0].shape
    fixed = shape[2] if isinstance(shape[2], int) else None
    if fixed in (None, imgsz) or not model.with_suffix(".pt").is_file():
        return model
    return model.with_suffix(".pt")


def bench_service(video: Path, model: Path, imgsz: int, frames: int) -> dict[str, Any]:
    settings = settings_in(Path(tempfile.mkdtemp(prefix=f"bench{imgsz}-")))
    weights = weights_for(model, imgsz)
    camera_id = add_camera(settings, str(video), weights, imgsz)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    summary = run(settings, max_frames=frames, heartbeat_s=2.0)
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds() - cpu0
    camera = summary["cameras"][camera_id]
    stats = camera["stats"]
    ms = {stage: statistics.fmean(v) if v else 0.0 for stage, v in stats.timings.items()}
    busy_fps = stats.frames / stats.busy_s if stats.busy_s else 0.0
    overhead = (ms["decode"] + ms["rules"] + ms["sink"]) / ms["infer"] if ms["infer"] else 0.0
    return {"imgsz": imgsz, "weights": weights.name, "frames": stats.frames,
            "violations": camera["violations"],
            "ms": ms, "busy_fps": busy_fps, "wall_fps": stats.frames / wall,
            "cpu_pct": 100 * cpu / wall, "latency": camera["latency_ms"],
            "overhead": overhead, "errors": summary["errors"]}  # fmt: skip


def bench_ultralytics(video: Path, model: Path, imgsz: int, frames: int) -> str:
    """ultralytics' own detect + ByteTrack loop over the same video (ms/frame, fps)."""
    weights = model.with_suffix(".pt") if model.with_suffix(".pt").is_file() else model
    config = Path(tempfile.mkdtemp(prefix="yolo-config-"))
    os.environ.update(YOLO_OFFLINE="1", YOLO_AUTOINSTALL="0", YOLO_CONFIG_DIR=str(config))
    try:
        from detectors.torch_shim import install

        install()
        from ultralytics import YOLO
    except ImportError as exc:
        return f"skipped: ultralytics not installed ({exc})"
    _lap_stand_in()
    yolo = YOLO(str(weights), task="detect")
    why = ""
    for how in ("track", "predict"):
        try:
            call = getattr(yolo, how)
            kwargs = {"persist": True, "tracker": "bytetrack.yaml"} if how == "track" else {}
            stream = call(source=str(video), imgsz=imgsz, conf=0.35, stream=True, verbose=False,
                          **kwargs)  # fmt: skip
            cpu0, wall0 = cpu_seconds(), time.perf_counter()
            n = 0
            for _ in stream:
                n += 1
                if n >= frames:
                    break
            wall = time.perf_counter() - wall0
            cpu = cpu_seconds() - cpu0
            note = "" if how == "track" else " (model.track unavailable: " + why + ")"
            return (f"{weights.name} model.{how} @{imgsz}: {1000 * wall / n:.1f} ms/frame, "
                    f"{n / wall:.1f} fps, CPU {100 * cpu / wall:.0f} %{note}")  # fmt: skip
        except Exception as exc:  # track needs `lap`, which ultralytics cannot install offline
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return f"failed: {why}"


def _lap_stand_in() -> None:
    """ultralytics' ByteTrack wants ``lap`` (not installed, and not installable offline):
    for timing only, a ``lap.lapjv`` over SciPy's Hungarian solver stands in for it."""
    try:
        import lap  # noqa: F401
    except ImportError:
        import types

        import numpy as np
        from scipy.optimize import linear_sum_assignment

        def lapjv(cost: Any, extend_cost: bool = True, cost_limit: float = np.inf) -> tuple:
            cost = np.asarray(cost)
            x, y = np.full(cost.shape[0], -1), np.full(cost.shape[1], -1)
            if cost.size:
                rows, cols = linear_sum_assignment(cost)
                keep = cost[rows, cols] <= cost_limit
                x[rows[keep]], y[cols[keep]] = cols[keep], rows[keep]
            return 0.0, x, y

        module = types.ModuleType("lap")
        module.lapjv = lapjv  # type: ignore[attr-defined]
        module.__version__ = "scipy-stand-in"  # type: ignore[attr-defined]
        sys.modules["lap"] = module


def bench_streams(model: Path, imgsz: int, most: int, seconds: float) -> list[str]:
    """1, 2, … synthetic cameras paced at 10 fps each: the fps each one keeps."""
    lines = []
    for count in range(1, most + 1):
        settings = settings_in(Path(tempfile.mkdtemp(prefix=f"streams{count}-")))
        start = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        for seed in range(count):
            uri = SCENE_URI.format(seed=seed + 1) + f"&start={start}"
            add_camera(settings, uri, model, imgsz, seed=seed + 1)
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        summary = run(settings, stop=stop, realtime=True)
        wall = time.perf_counter() - wall0
        cpu = cpu_seconds() - cpu0
        fps = [c["frames"] / wall for c in summary["cameras"].values()]
        lat = [c["latency_ms"]["p95"] for c in summary["cameras"].values()]
        held = all(f >= 9.5 for f in fps)
        each = ", ".join(f"{f:.1f}" for f in fps)
        lines.append(f"{count} stream(s) @{imgsz}: fps per stream {each}"
                     f"; CPU {100 * cpu / wall:.0f} %; latency p95 {lat} ms; "
                     f"{'holds' if held else 'does NOT hold'} 10 fps")  # fmt: skip
        if not held:
            break
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--imgsz", type=int, nargs="+", default=[320, 640])
    parser.add_argument("--streams", type=int, default=4, help="most paced cameras to try")
    parser.add_argument("--stream-seconds", type=float, default=10.0)
    parser.add_argument("--no-ultralytics", action="store_true")
    args = parser.parse_args()
    if not args.model.is_file():
        print(f"no model at {args.model}", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-video-"))
    scene = SyntheticScene(3, 640, 360, 10.0, people=6)
    video = write_video(folder / "scene.mp4", scene, args.frames)
    print(f"video: {args.frames} frames 640x360 @10 fps; model {args.model.name}; "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    for imgsz in args.imgsz:
        r = bench_service(video, args.model, imgsz, args.frames)
        ms = r["ms"]
        print(f"\nservice @{imgsz} ({r['weights']}): {r['frames']} frames, "
              f"{r['violations']} violations"
              f"{'; errors ' + str(r['errors']) if r['errors'] else ''}")  # fmt: skip
        print(f"  ms/frame: decode {ms['decode']:.1f}, inference {ms['infer']:.1f}, "
              f"tracking+zones+rules {ms['rules']:.1f}, sink {ms['sink']:.1f} "
              f"(total {sum(ms.values()):.1f})")  # fmt: skip
        print(f"  fps {r['busy_fps']:.1f} (pipeline) / {r['wall_fps']:.1f} (wall, with start-up);"
              f" CPU {r['cpu_pct']:.0f} %")  # fmt: skip
        print(f"  frame → committed violation: p50 {r['latency']['p50']} ms, "
              f"p95 {r['latency']['p95']} ms")  # fmt: skip
        print(
            f"  pipeline overhead (decode + rules + sink) = {100 * r['overhead']:.0f} % "
            "of inference"
        )
        if not args.no_ultralytics:
            print("  ultralytics: " + bench_ultralytics(video, args.model, imgsz, args.frames))
    if args.streams:
        print()
        for line in bench_streams(args.model, args.imgsz[0], args.streams, args.stream_seconds):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
