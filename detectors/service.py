"""The detector service: one worker per enabled camera, configured from the database.

Each worker runs decode → model → tracker → zones and rules → annotate and sink on its own
thread (ONNX Runtime and OpenCV release the GIL, so two cores serve two cameras). The main
thread supervises: it polls :func:`detectors.config.load_cameras` every few seconds and
restarts only the cameras whose ``version`` changed, writes each camera's heartbeat every
~2 s, replays the sink's spool, and on SIGINT/SIGTERM (or ``stop``) lets every worker finish
its current frame, then marks the cameras stopped.

Nothing is half-written: each violation is one transaction in the sink, keyed by
``Hit.key``, so a run killed at any point and started again over the same input writes the
same set of violations.

Example:
    >>> from core.config import get_settings
    >>> summary = run(get_settings(), [1], max_frames=50)  # doctest: +SKIP
    >>> summary["cameras"][1]["violations"]  # doctest: +SKIP
    3
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np

from core.clock import site_zone
from core.config import Settings
from core.db import get_engine, session_scope
from core.video.rules import source_type
from detectors.annotate import annotate, jpeg, training_labels
from detectors.backends import load_backend
from detectors.config import load_cameras
from detectors.permits import running_permits
from detectors.pipeline import STAGES, CameraStats, Pipeline, fit_camera
from detectors.sink import ViolationSink
from detectors.sources import open_source
from detectors.types import CameraSpec
from models.video import CameraStatus

log = logging.getLogger(__name__)

HEARTBEAT_S = 2.0
RELOAD_S = 3.0
STALL_S = 10.0
RETRY_S = 30.0
JOIN_S = 10.0


class CameraWorker(threading.Thread):
    """One camera's pipeline on a thread; the supervisor reads its state for heartbeats."""

    def __init__(
        self,
        camera: CameraSpec,
        service: Service,
        *,
        max_frames: int | None = None,
    ) -> None:
        super().__init__(name=f"camera-{camera.id}", daemon=True)
        self.camera = camera
        self.service = service
        self.max_frames = max_frames
        self.stop = threading.Event()
        self.stats = CameraStats()
        self.started_mono = time.monotonic()
        self.last_frame_mono: float | None = None
        self.last_frame_at: datetime | None = None
        self.lag_ms: float | None = None
        self.error: str | None = None
        self.reconnecting: str | None = None
        self.finished_mono: float | None = None
        self._window: deque[float] = deque(maxlen=600)

    # -------------------------------------------------------------- the thread

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # a camera's failure is its heartbeat's news, not the service's
            log.exception("camera %s (%s) failed", self.camera.id, self.camera.name)
            self.error = f"{type(exc).__name__}: {exc}"[:1000]
        finally:
            self.finished_mono = time.monotonic()

    def _run(self) -> None:

        camera = self.camera
        backend = self.service.backend_for(camera)
        # Lag is now − frame time for sources on the clock; a file replays old times, so
        # its lag is the time the frame took through the pipeline instead.
        live = source_type(camera.source_uri) != "file"
        frames = open_source(
            camera.source_uri,
            camera.fps_target,
            stop=self.stop,
            on_status=self._on_status,
            realtime=self.service.realtime,
        )
        try:
            self._loop(frames, backend, live)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # releases the capture

    def _loop(
        self, frames: Iterator[tuple[np.ndarray, datetime]], backend: Any, live: bool
    ) -> None:
        camera = self.camera
        pipeline: Pipeline | None = None
        index = 0
        while not self.stop.is_set() and (self.max_frames is None or index < self.max_frames):
            t0 = time.perf_counter()
            item = next(frames, None)
            if item is None:
                break
            frame, at = item
            t1 = time.perf_counter()
            if pipeline is None:
                fitted = fit_camera(camera, frame.shape[1], frame.shape[0])
                pipeline = Pipeline(fitted, backend, tz=self.service.tz)
            detections = pipeline.detect(frame)
            t2 = time.perf_counter()
            tracked, hits = pipeline.rules(detections, at, index, self.service.permits)
            t3 = time.perf_counter()
            for hit in hits:
                self.stats.hits += 1
                if self.service.write(pipeline.camera, hit, frame, detections, tracked):
                    self.stats.written += 1
                self.stats.latency_ms.append((time.perf_counter() - t1) * 1000)
            t4 = time.perf_counter()
            for stage, ms in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                self.stats.timings[stage].append(ms * 1000)
            self.stats.busy_s += t4 - t0
            self.stats.frames += 1
            now = time.monotonic()
            self._window.append(now)
            self.last_frame_mono = now
            self.last_frame_at = at
            self.lag_ms = max(
                (datetime.now(UTC) - at).total_seconds() * 1000 if live else (t4 - t0) * 1000,
                0.0,
            )
            self.reconnecting = None
            index += 1

    def _on_status(self, status: str, error: str | None) -> None:
        self.reconnecting = error if status == "reconnecting" else None

    # -------------------------------------------------------------- heartbeat

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def done(self) -> bool:
        return not self.is_alive() and self.finished_mono is not None

    def fps(self, window_s: float = 5.0) -> float:
        now = time.monotonic()
        recent = [t for t in self._window if now - t <= window_s]
        if len(recent) < 2:
            return 0.0
        return round((len(recent) - 1) / max(recent[-1] - recent[0], 1e-6), 2)

    def heartbeat(self, stall_s: float) -> dict[str, Any]:
        """Status, fps, lag and last error as the camera row shows them."""
        now = time.monotonic()
        last = self.last_frame_mono or self.started_mono
        if self.failed:
            status, error = CameraStatus.ERROR, self.error
        elif self.done:
            status, error = CameraStatus.STOPPED, None
        elif self.reconnecting:
            status, error = CameraStatus.STALLED, f"reconnecting: {self.reconnecting}"
        elif now - last > stall_s:
            status, error = CameraStatus.STALLED, f"no frame for {now - last:.0f} s"
        else:
            status, error = CameraStatus.RUNNING, None
        return {"status": status, "fps": self.fps(), "lag_ms": self.lag_ms,
                "last_frame_at": self.last_frame_at, "last_error": error}  # fmt: skip


class Service:
    """The supervisor's state: the sink (shared, behind a lock), the loaded models (shared by
    cameras with the same weights) and the workers by camera id."""

    def __init__(
        self,
        settings: Settings,
        sink: Any,
        *,
        max_frames: int | None = None,
        realtime: bool | None = None,
        stall_s: float = STALL_S,
    ) -> None:

        self.settings = settings
        self.sink = sink
        self.max_frames = max_frames
        self.realtime = realtime
        self.stall_s = stall_s
        self.tz = site_zone()
        self.workers: dict[int, CameraWorker] = {}
        self.retired: list[CameraWorker] = []
        # {zone_id: permit_id} of running permits; replaced whole on reload, read by workers.
        self.permits: dict[int, int] = {}
        self.lock = threading.Lock()
        self._backends: dict[tuple, Any] = {}
        self._backend_lock = threading.Lock()

    def backend_for(self, camera: CameraSpec) -> Any:

        config = camera.detector_config
        key = (str(config.get("weights")), config.get("imgsz"), config.get("confidence"),
               tuple(sorted((config.get("classes") or {}).items())))  # fmt: skip
        with self._backend_lock:
            if key not in self._backends:
                self._backends[key] = load_backend(config, self.settings.data_dir)
            return self._backends[key]

    def write(
        self, camera: CameraSpec, hit: Any, frame: np.ndarray, detections: Any, tracked: Any
    ) -> bool:
        """Hand the sink the evidence (annotated snapshot) and the training sample (the clean
        frame and every box on it); encoded here, outside the sink's lock."""

        snapshot = jpeg(annotate(frame, tracked, camera.zones, hit))
        clean, labels = jpeg(frame), training_labels(detections, tracked)
        with self.lock:
            return bool(self.sink.write(camera, hit, snapshot, clean, labels))

    def sink_call(self, name: str, *args: Any) -> Any:
        """A heartbeat or a replay: logged, never fatal (the database may be away)."""
        try:
            with self.lock:
                return getattr(self.sink, name)(*args)
        except Exception as exc:
            log.warning("sink %s failed: %s", name, exc)
            return None

    # -------------------------------------------------------------- workers

    def start(self, camera: CameraSpec) -> None:
        worker = CameraWorker(camera, self, max_frames=self.max_frames)
        self.workers[camera.id] = worker
        worker.start()

    def retire(self, camera_id: int) -> None:
        worker = self.workers.pop(camera_id)
        worker.stop.set()
        worker.join(JOIN_S)
        self.retired.append(worker)
        self.heartbeat_of(camera_id, worker, CameraStatus.STOPPED)

    def reconcile(self, cameras: list[CameraSpec]) -> None:
        """Start new cameras, restart changed ones, stop removed ones; leave the rest."""
        wanted = {c.id: c for c in cameras}
        for camera_id in list(self.workers):
            if camera_id not in wanted:
                log.info("camera %s removed or disabled: stopping", camera_id)
                self.retire(camera_id)
        for camera_id, camera in wanted.items():
            worker = self.workers.get(camera_id)
            if worker is None:
                self.start(camera)
            elif worker.camera.version != camera.version:
                log.info("camera %s configuration changed: restarting", camera_id)
                self.retire(camera_id)
                self.start(camera)
            elif self._retry_due(worker):
                self.retire(camera_id)
                self.start(camera)

    def _retry_due(self, worker: CameraWorker) -> bool:
        """A failed camera is tried again after ``RETRY_S`` (not in a bounded run)."""
        if not worker.failed or self.max_frames is not None or worker.finished_mono is None:
            return False
        return time.monotonic() - worker.finished_mono >= RETRY_S

    def all_done(self) -> bool:
        """Every camera came to an end (a file ended, ``max_frames`` reached, or failed in a
        bounded run): nothing left to run."""
        if not self.workers:
            return False
        return all(
            w.done and (not w.failed or self.max_frames is not None) for w in self.workers.values()
        )

    def heartbeats(self) -> None:
        for camera_id, worker in self.workers.items():
            self.heartbeat_of(camera_id, worker)

    def heartbeat_of(
        self, camera_id: int, worker: CameraWorker, status: CameraStatus | None = None
    ) -> None:
        beat = worker.heartbeat(self.stall_s)
        if status is not None:
            beat.update(status=status, fps=0.0)
        self.sink_call(
            "heartbeat",
            camera_id,
            str(beat["status"]),
            beat["fps"],
            beat["lag_ms"],
            beat["last_frame_at"],
            beat["last_error"],
        )

    def stop_all(self) -> None:
        for worker in self.workers.values():
            worker.stop.set()
        for worker in self.workers.values():
            worker.join(JOIN_S)
        for camera_id, worker in self.workers.items():
            final = CameraStatus.ERROR if worker.failed else CameraStatus.STOPPED
            self.heartbeat_of(camera_id, worker, final)

    def summary(self) -> dict[str, Any]:
        cameras: dict[int, dict[str, Any]] = {}
        for worker in [*self.retired, *self.workers.values()]:
            entry = cameras.setdefault(worker.camera.id, {"name": worker.camera.name})
            part = worker.stats.summary()
            for key in ("frames", "hits", "violations"):
                entry[key] = entry.get(key, 0) + part[key]
            entry.update(ms_per_frame=part["ms_per_frame"], latency_ms=part["latency_ms"],
                         error=worker.error, stats=worker.stats)  # fmt: skip
        return {
            "cameras": cameras,
            "frames": sum(c["frames"] for c in cameras.values()),
            "violations": sum(c["violations"] for c in cameras.values()),
            "errors": {cid: c["error"] for cid, c in cameras.items() if c["error"]},
        }


@contextmanager
def _signals_set(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (only from the main thread, where Python allows it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping after the current frame", signum)
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run(
    settings: Settings,
    camera_ids: Iterable[int] | None = None,
    *,
    stop: threading.Event | None = None,
    max_frames: int | None = None,
    realtime: bool | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    reload_s: float = RELOAD_S,
    stall_s: float = STALL_S,
    sink_factory: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Run the cameras (all enabled ones, or ``camera_ids``) until ``stop``, a signal, or —
    with ``max_frames`` or file sources — until every camera has come to its end.

    Returns a summary: per camera frames, hits, violations written, mean ms per stage
    (decode, infer, rules = tracking + zones + rules, sink = annotate + JPEG + write),
    latency p50/p95 and the raw ``stats``; totals; errors.
    """

    stop = stop or threading.Event()
    ids = list(camera_ids) if camera_ids is not None else None
    engine = get_engine(settings)
    spool = settings.data_dir / "spool"
    make_sink = sink_factory or ViolationSink
    sink = make_sink(engine, settings, spool)

    def load() -> tuple[list[CameraSpec], dict[int, int]] | None:
        try:
            with session_scope(engine) as session:
                cameras = load_cameras(session, ids)
                return cameras, running_permits(session, cameras)
        except Exception as exc:
            log.warning("cannot read the camera configuration: %s", exc)
            return None

    with _sink_open(sink), _signals_set(stop):
        service = Service(settings, sink, max_frames=max_frames, realtime=realtime,
                          stall_s=stall_s)  # fmt: skip
        service.sink_call("replay")
        next_reload = next_beat = 0.0
        loaded_once = False
        try:
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_reload:
                    loaded = load()
                    if loaded is not None:
                        cameras, service.permits = loaded
                        loaded_once = True
                        service.reconcile(cameras)
                        if not cameras and max_frames is not None:
                            break
                    next_reload = now + reload_s
                if now >= next_beat:
                    service.heartbeats()
                    service.sink_call("replay")
                    next_beat = now + heartbeat_s
                if loaded_once and service.all_done():
                    break
                stop.wait(0.1)
        finally:
            service.stop_all()
            service.sink_call("replay")
    return service.summary()


@contextmanager
def _sink_open(sink: Any) -> Iterator[Any]:
    """Use the sink as a context manager when it is one (it flushes on exit)."""
    if hasattr(sink, "__enter__"):
        with sink as opened:
            yield opened
    else:
        try:
            yield sink
        finally:
            close = getattr(sink, "close", None)
            if close is not None:
                close()
