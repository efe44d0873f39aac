"""What the detector's parts hand each other: a camera's configuration as read from the
database (frozen, so a running pipeline never sees half an update), and the hits the rules
produce for the sink.

Detections travel as ``supervision.Detections`` with two extra columns in ``data``:
``role`` (a ``models.video.DetectionRole`` value per box, from the camera's class → role map)
and, after tracking, ``tracker_id`` set (unconfirmed tracks, id -1, are dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ZoneSpec:
    id: int
    name: str
    kind: str  # models.video.ZoneKind value
    polygon: tuple[tuple[int, int], ...]  # pixels of the camera frame
    area_id: int | None = None


@dataclass(frozen=True)
class RuleSpec:
    id: int
    zone_id: int
    name: str
    kind: str  # models.video.RuleKind value
    params: dict[str, Any] = field(default_factory=dict)  # defaults already filled
    cooldown_s: int = 60
    min_confidence: float = 0.5
    min_frames: int = 3
    auto_hazard: bool = False


@dataclass(frozen=True)
class CameraSpec:
    """One enabled camera with its zones and rules; ``version`` changes whenever any of them
    does, which is how the service notices a configuration change without a restart."""

    id: int
    name: str
    enterprise_id: int | None
    department_id: int | None
    area_id: int | None
    source_uri: str
    fps_target: float
    frame_width: int
    frame_height: int
    detector_config: dict[str, Any]  # weights, classes (class name → role), confidence, imgsz
    zones: tuple[ZoneSpec, ...]
    rules: tuple[RuleSpec, ...]
    version: str


@dataclass(frozen=True)
class Hit:
    """A rule fired: one violation to write (the sink makes it idempotent by ``key``)."""

    camera_id: int
    rule_id: int
    zone_id: int
    kind: str
    track_id: int | None  # None for zone-level rules (overcrowd, post unstaffed)
    confidence: float
    at: datetime  # UTC, the frame's time
    frame_index: int
    boxes: tuple[tuple[float, float, float, float], ...]  # xyxy of the boxes involved
    permit_id: int | None = None  # the running permit the hit concerns (detectors.permits)

    @property
    def key(self) -> str:
        """Idempotency key: the same camera, rule and track (or zone) firing at the same
        frame time is the same violation, however often it is written or replayed."""
        who = "zone" if self.track_id is None else f"t{self.track_id}"
        return f"{self.camera_id}:{self.rule_id}:{who}:{self.at.isoformat()}"
