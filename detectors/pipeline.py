"""One camera's pipeline without threads or I/O — model → tracker → zones and rules — and
what a worker measures of it: what the service runs per frame and the benchmark times."""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np

from detectors.rules import RuleEngine
from detectors.tracking import PersonTracker
from detectors.types import CameraSpec

STAGES = ("decode", "infer", "rules", "sink")
KEEP_TIMINGS = 20_000  # per stage and camera; a long-running service keeps the recent ones


@dataclass
class CameraStats:
    """What one camera's worker measured: counts, per-stage ms per frame, and the latency
    from a frame leaving the decoder to its violation being committed."""

    frames: int = 0
    hits: int = 0
    written: int = 0
    timings: dict[str, deque[float]] = field(
        default_factory=lambda: {s: deque(maxlen=KEEP_TIMINGS) for s in STAGES}
    )
    latency_ms: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP_TIMINGS))
    busy_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        ms = {s: round(statistics.fmean(v), 2) if v else None for s, v in self.timings.items()}
        return {"frames": self.frames, "hits": self.hits, "violations": self.written,
                "ms_per_frame": ms, "latency_ms": percentiles(self.latency_ms)}  # fmt: skip


def percentiles(values: Iterable[float]) -> dict[str, float | None]:
    data = sorted(values)
    if not data:
        return {"p50": None, "p95": None}
    return {
        "p50": round(float(np.percentile(data, 50)), 2),
        "p95": round(float(np.percentile(data, 95)), 2),
    }


def fit_camera(camera: CameraSpec, width: int, height: int) -> CameraSpec:
    """The camera with its zones scaled to the frames its source really delivers (zones are
    drawn on ``frame_width`` × ``frame_height``; a source may deliver another size)."""
    if (width, height) == (camera.frame_width, camera.frame_height):
        return camera
    sx, sy = width / camera.frame_width, height / camera.frame_height
    zones = tuple(
        replace(z, polygon=tuple((round(x * sx), round(y * sy)) for x, y in z.polygon))
        for z in camera.zones
    )
    return replace(camera, zones=zones, frame_width=width, frame_height=height)


class Pipeline:
    """Model → tracker → rules for one camera, frame by frame, without threads or I/O: what
    the worker runs and what the benchmark times."""

    def __init__(self, camera: CameraSpec, backend: Any, *, tz: Any = None) -> None:
        self.camera = camera
        self.backend = backend
        self.tracker = PersonTracker(frame_rate=max(camera.fps_target, 1.0))
        self.engine = RuleEngine(camera, tz=tz)
        self.first_at: datetime | None = None

    def detect(self, frame: np.ndarray) -> Any:
        return self.backend.detect(frame)

    def rules(
        self, detections: Any, at: datetime, index: int, permits: dict[int, int] | None = None
    ) -> tuple[Any, list]:
        """Track, then apply the rules; ``permits`` maps zones to the running permit
        covering them (``detectors.permits``)."""
        self.first_at = self.first_at or at
        tracked = self.tracker.update(detections, (at - self.first_at).total_seconds())
        return tracked, self.engine.update(tracked, at, index, {"permits": permits or {}})
