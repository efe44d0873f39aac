"""Video sources: a camera's ``source_uri`` as an iterator of ``(frame_bgr, frame_time_utc)``.

How a URI is opened follows ``core.video.rules.source_type``:

- ``synthetic://…`` — the built-in scene (``detectors.scene``); frame ``i`` is at
  ``start + i / fps``, so the same URI and start give the same frames at the same times.
  Paced to real time by default, as a camera would be.
- a file — read through OpenCV as fast as the pipeline takes it; frame ``i`` is at
  ``start + i / file_fps`` where ``start`` is the file's modification time, so a replay of
  the same file gives the same times (and the sink's idempotency keys hold).
- ``rtsp://``, ``http(s)://`` or a webcam index — wall-clock times; a failed open or read
  reconnects with exponential back-off (1, 2, 4 … 30 s) and says so through ``on_status``
  so the heartbeat can show "reconnecting".

All of them keep about ``fps`` frames per second of the source: a file by frame index (a
30 fps file at 5 fps keeps every sixth frame), a stream by arrival time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from core.crud.secrets import mask_uri
from core.video.rules import source_type
from detectors.scene import scene_from_uri

Frame = tuple[np.ndarray, datetime]
StatusCallback = Callable[[str, str | None], None]
BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
READ_FAILURES_BEFORE_RECONNECT = 3
OPEN_TIMEOUT_MS = 10_000
# Query parameters of a synthetic URI that are the source's, not the scene's.
SOURCE_PARAMS = ("realtime", "start")


class SourceError(OSError):
    """A source that cannot be opened or read (for files and snapshots; streams retry)."""


def backoff_delays(
    start: float = BACKOFF_START_S, maximum: float = BACKOFF_MAX_S
) -> Iterator[float]:
    """1, 2, 4, 8, 16, 30, 30, … seconds."""
    delay = start
    while True:
        yield min(delay, maximum)
        delay = min(delay * 2, maximum)


def open_source(
    uri: str,
    fps: float,
    *,
    stop: threading.Event | None = None,
    on_status: StatusCallback | None = None,
    start: datetime | None = None,
    realtime: bool | None = None,
) -> Iterator[Frame]:
    """The frames of ``uri`` at about ``fps`` per second.

    ``start`` fixes the time of the first frame of a synthetic scene (default: now) or a file
    (default: its modification time). ``realtime`` paces synthetic scenes and files to the
    clock (default: synthetic yes, files no). The iterator ends when ``stop`` is set or a file
    ends; a stream only ends when stopped.

    Example:
        >>> frames = open_source("synthetic://production?seed=3", 5, realtime=False)
        >>> image, at = next(frames)  # doctest: +SKIP
    """
    stop = stop or threading.Event()
    kind = source_type(uri)
    if kind == "synthetic":
        return synthetic_frames(uri, fps, start=start, realtime=realtime, stop=stop)
    if kind == "file":
        return file_frames(uri, fps, start=start, realtime=bool(realtime), stop=stop)
    return StreamSource(uri, fps, stop=stop, on_status=on_status).frames()


# ------------------------------------------------------------------------------ synthetic


def split_synthetic_uri(uri: str) -> tuple[str, dict[str, str]]:
    """The scene's URI without the source's own parameters, and those parameters."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    mine = {k: v for k, v in query if k in SOURCE_PARAMS}
    rest = urlencode([(k, v) for k, v in query if k not in SOURCE_PARAMS])
    return urlunsplit(parts._replace(query=rest)), mine


def synthetic_frames(
    uri: str,
    fps: float,
    *,
    start: datetime | None = None,
    realtime: bool | None = None,
    stop: threading.Event | None = None,
    limit: int | None = None,
) -> Iterator[Frame]:
    """Frames of the built-in scene at ``fps`` (the scene runs at ``fps`` unless the URI
    names its own rate; a faster scene is thinned like a file)."""

    scene_uri, mine = split_synthetic_uri(uri)
    if "fps=" not in urlsplit(scene_uri).query:
        joiner = "&" if "?" in scene_uri else "?"
        scene_uri = f"{scene_uri}{joiner}fps={fps:g}"
    scene = scene_from_uri(scene_uri)
    scene_fps = float(getattr(scene, "fps", fps) or fps)
    stride = max(scene_fps / fps, 1.0) if fps > 0 else 1.0
    if start is None:
        start = datetime.fromisoformat(mine["start"]) if "start" in mine else datetime.now(UTC)
    if realtime is None:
        realtime = mine.get("realtime", "1") not in ("0", "false", "no")
    stop = stop or threading.Event()
    began = time.monotonic()
    kept = 0
    while not stop.is_set() and (limit is None or kept < limit):
        index = round(kept * stride)
        seconds = index / scene_fps
        image = _scene_image(scene, index)
        if realtime:
            wait = began + seconds - time.monotonic()
            if wait > 0 and stop.wait(wait):
                return
        yield image, start + timedelta(seconds=seconds)
        kept += 1


def _scene_image(scene: Any, index: int) -> np.ndarray:
    """Frame ``index`` of a scene as a BGR image (``frame`` also returns ground truth)."""
    frame = scene.frame(index)
    return frame[0] if isinstance(frame, tuple) else np.asarray(frame)


# ------------------------------------------------------------------------------ files


def file_frames(
    path: str | Path,
    fps: float,
    *,
    start: datetime | None = None,
    realtime: bool = False,
    stop: threading.Event | None = None,
) -> Iterator[Frame]:
    """A video file's frames, thinned to ``fps``; times from the file's own frame rate."""
    import cv2

    path = Path(path).expanduser()
    if not path.is_file():
        raise SourceError(f"video file not found: {path}")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise SourceError(f"cannot open video file {path}")
    file_fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    file_fps = file_fps if 0 < file_fps < 1000 else fps
    if start is None:
        start = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    stride = max(file_fps / fps, 1.0) if fps > 0 else 1.0
    stop = stop or threading.Event()
    began = time.monotonic()
    return _file_loop(capture, file_fps, stride, start, realtime, began, stop)


def _file_loop(
    capture: Any,
    file_fps: float,
    stride: float,
    start: datetime,
    realtime: bool,
    began: float,
    stop: threading.Event,
) -> Iterator[Frame]:
    index = 0
    next_keep = 0.0
    try:
        while not stop.is_set():
            if index + 0.5 < next_keep:  # a frame we skip: grab without decoding it
                if not capture.grab():
                    return
                index += 1
                continue
            ok, image = capture.read()
            if not ok:
                return
            seconds = index / file_fps
            if realtime:
                wait = began + seconds - time.monotonic()
                if wait > 0 and stop.wait(wait):
                    return
            yield image, start + timedelta(seconds=seconds)
            next_keep += stride
            index += 1
    finally:
        capture.release()


# ------------------------------------------------------------------------------ streams


class StreamSource:
    """An RTSP/HTTP stream or a webcam that reconnects by itself.

    ``opener`` (default ``cv2.VideoCapture``) and ``sleep`` are there for tests: a fake
    capture shows the back-off without a camera. ``on_status("reconnecting", why)`` is called
    before each wait and ``on_status("running", None)`` on the first frame after it.
    """

    def __init__(
        self,
        uri: str,
        fps: float,
        *,
        stop: threading.Event | None = None,
        on_status: StatusCallback | None = None,
        opener: Callable[[str | int], Any] | None = None,
        sleep: Callable[[float], bool] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.uri = uri
        self.fps = fps
        self.stop = stop or threading.Event()
        self.on_status = on_status or (lambda status, error: None)
        self.opener = opener or _open_capture
        self.sleep = sleep or self.stop.wait
        self.clock = clock or (lambda: datetime.now(UTC))
        self.reconnects = 0

    def target(self) -> str | int:
        text = self.uri.strip()
        return int(text) if text.isdigit() else text

    def frames(self) -> Iterator[Frame]:
        delays = backoff_delays()
        interval = 1.0 / self.fps if self.fps > 0 else 0.0
        last_kept = -float("inf")
        reconnecting = False
        while not self.stop.is_set():
            capture, error = self._open()
            failures = 0
            while capture is not None and not self.stop.is_set():
                ok, image = capture.read()
                if not ok or image is None:
                    failures += 1
                    if failures >= READ_FAILURES_BEFORE_RECONNECT:
                        error = "no frame from the stream"
                        break
                    continue
                failures = 0
                if reconnecting:
                    reconnecting = False
                    delays = backoff_delays()
                    self.on_status("running", None)
                now = time.monotonic()
                if now - last_kept < interval * 0.95:
                    continue  # keep reading so the decoder's buffer does not grow stale
                last_kept = now
                yield image, self.clock()
            if capture is not None:
                capture.release()
            if self.stop.is_set():
                return
            reconnecting = True
            self.reconnects += 1
            delay = next(delays)
            self.on_status("reconnecting", f"{error}; retry in {delay:g} s")
            if self.sleep(delay):
                return

    def _open(self) -> tuple[Any | None, str]:
        try:
            capture = self.opener(self.target())
        except Exception as exc:  # an opener may raise rather than return a closed capture
            return None, f"cannot open {mask_uri(self.uri)}: {exc}"
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            return None, f"cannot open {mask_uri(self.uri)}"
        return capture, ""


def _open_capture(target: str | int) -> Any:
    import cv2

    if isinstance(target, int):
        return cv2.VideoCapture(target)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC,
              OPEN_TIMEOUT_MS]  # fmt: skip
    return cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)


# ------------------------------------------------------------------------------ snapshot


def grab_snapshot(uri: str) -> np.ndarray:
    """One frame of ``uri`` (BGR), for drawing zones on: the first frame of a file or scene,
    the next frame of a stream or webcam. Raises :class:`SourceError` when none comes."""
    kind = source_type(uri)
    if kind == "synthetic":
        image, _ = next(synthetic_frames(uri, 5, realtime=False, limit=1))
        return image
    if kind == "file":
        for image, _ in file_frames(uri, 5):
            return image
        raise SourceError(f"no frame in {uri}")
    capture = _open_capture(int(uri) if uri.strip().isdigit() else uri.strip())
    try:
        if not capture.isOpened():
            raise SourceError(f"cannot open {uri}")
        for _ in range(READ_FAILURES_BEFORE_RECONNECT):
            ok, image = capture.read()
            if ok and image is not None:
                return image
        raise SourceError(f"no frame from {uri}")
    finally:
        capture.release()


def snapshot_jpeg(uri: str, width: int, height: int) -> tuple[bytes, str]:
    """A JPEG of the camera's picture at its configured size, for drawing zones on: a grabbed
    frame, or the synthetic scene's first one."""
    import cv2

    frame = grab_snapshot(uri)
    if frame is None:
        raise OSError(uri)
    if frame.shape[1] != width or frame.shape[0] != height:
        frame = cv2.resize(frame, (width, height))
    ok, data = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), 85])
    if not ok:
        raise OSError(uri)
    return data.tobytes(), "image/jpeg"
