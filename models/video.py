"""AI video (智能视频): cameras, zones, rules and the violations the detector writes.

These rows are the detector service's configuration (``safeloop detector run`` reads cameras,
zones and rules from the database) and its output (violations, camera heartbeats), so the
columns are what a pipeline needs: a source URI, the model and its class → role map, polygons
in image pixels of the camera's frame, and per-rule cooldown / confidence / frame thresholds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from models.base import EnterpriseScoped, Record


class CameraKind(StrEnum):
    BULLET = "bullet"
    DOME = "dome"
    PTZ = "ptz"
    EXPLOSION_PROOF = "explosion_proof"


class CameraStatus(StrEnum):
    """Heartbeat status the detector reports per camera."""

    RUNNING = "running"
    STALLED = "stalled"
    ERROR = "error"
    STOPPED = "stopped"


class ZoneKind(StrEnum):
    DANGER = "danger"
    RESTRICTED = "restricted"
    CONFINED_SPACE = "confined_space"
    POST = "post"
    PPE_REQUIRED = "ppe_required"


class RuleKind(StrEnum):
    """The rules the detector implements; their parameters are in ``video_rule_kind``."""

    PPE_MISSING = "ppe_missing"
    INTRUSION = "intrusion"
    OVERCROWD = "overcrowd"
    DWELL = "dwell"
    POST_UNSTAFFED = "post_unstaffed"


class DetectionRole(StrEnum):
    """What a model class means to the rules, whatever the model calls it."""

    PERSON = "person"
    HEAD = "head"
    HELMET = "helmet"
    VEST = "vest"
    NO_HELMET = "no_helmet"
    NO_VEST = "no_vest"
    IGNORE = "ignore"


class ViolationState(StrEnum):
    """Review workflow: new → confirmed | false_alarm."""

    NEW = "new"
    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"


class Camera(EnterpriseScoped, table=True):
    """A video source; ``source_uri`` is rtsp://…, a file path, a webcam index or
    ``synthetic://<scene>`` for the built-in demo scene."""

    __tablename__ = "camera"

    name: str = Field(max_length=100, index=True)
    code: str | None = Field(default=None, max_length=40, index=True)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    source_uri: str = Field(max_length=500, description="without user and password")
    username: str | None = Field(default=None, max_length=100)
    password: str | None = Field(
        default=None, max_length=200, description="the stream's password, kept apart from the URI"
    )
    kind: CameraKind = Field(default=CameraKind.BULLET, index=True)
    enabled: bool = Field(default=True, index=True)
    fps_target: float = Field(default=5, gt=0, le=60)
    frame_width: int = Field(default=1920, gt=0, le=8192)
    frame_height: int = Field(default=1080, gt=0, le=8192)
    detector_config: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSON, description="weights path, class → role map, conf"
    )
    status: CameraStatus = Field(default=CameraStatus.STOPPED, index=True)
    last_frame_at: datetime | None = Field(default=None)
    fps: float | None = Field(default=None, ge=0)
    lag_ms: float | None = Field(default=None, ge=0)
    last_error: str | None = Field(default=None, max_length=1000)
    heartbeat_at: datetime | None = Field(
        default=None, description="When the detector last reported on this camera (alive)"
    )


class VideoZone(EnterpriseScoped, table=True):
    """A polygon in the camera image, ``[[x, y], ...]`` in pixels of its frame."""

    __tablename__ = "video_zone"

    camera_id: int = Field(foreign_key="camera.id", index=True)
    name: str = Field(max_length=100, index=True)
    kind: ZoneKind = Field(default=ZoneKind.DANGER, index=True)
    polygon: list[Any] = Field(default_factory=list, sa_type=JSON)
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True)


class VideoRule(EnterpriseScoped, table=True):
    """What to detect in a zone; a violation is written once per track, rule and cooldown."""

    __tablename__ = "video_rule"

    zone_id: int = Field(foreign_key="video_zone.id", index=True)
    name: str = Field(max_length=100, index=True)
    kind: RuleKind = Field(default=RuleKind.INTRUSION, index=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    cooldown_s: int = Field(default=60, ge=0, le=86400)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    min_frames: int = Field(default=3, ge=1, le=1000)
    enabled: bool = Field(default=True, index=True)
    auto_hazard: bool = Field(
        default=False,
        index=True,
        description="The detector's sink opens a hazard (reported, with the snapshot) when it "
        "writes the violation, in the same transaction; confirming opens one only if it has none",
    )


class VideoViolation(EnterpriseScoped, table=True):
    """One detected violation with its evidence and review.

    ``hazard_id`` points at the hazard module's ``hazard`` table; it is a plain indexed int
    (no foreign key) because that table lands in a separate change.
    """

    __tablename__ = "video_violation"

    camera_id: int = Field(foreign_key="camera.id", index=True)
    zone_id: int | None = Field(default=None, foreign_key="video_zone.id", index=True)
    rule_id: int | None = Field(default=None, foreign_key="video_rule.id", index=True)
    rule_kind: RuleKind = Field(default=RuleKind.INTRUSION, index=True)
    occurred_at: datetime = Field(index=True)
    track_id: int | None = Field(default=None)
    confidence: float = Field(default=0.5, ge=0, le=1)
    snapshot_id: int | None = Field(default=None, description="attachment id of the snapshot")
    boxes: list[Any] = Field(default_factory=list, sa_type=JSON)
    state: ViolationState = Field(default=ViolationState.NEW, index=True)
    reviewed_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    reviewed_at: datetime | None = Field(default=None)
    review_comment: str | None = Field(default=None, max_length=500)
    hazard_id: int | None = Field(default=None, index=True)
    idem_key: str | None = Field(
        default=None,
        max_length=120,
        unique=True,
        index=True,
        description="The detector's hit key (detectors.types.Hit.key): a replay writes nothing",
    )
    frame_index: int | None = Field(default=None, ge=0, description="Frame number in the stream")
    frame_id: int | None = Field(
        default=None, description="attachment id of the clean frame (no drawing): training data"
    )
    labels: list[Any] = Field(
        default_factory=list,
        sa_type=JSON,
        description="every box on the frame: {role, xyxy, confidence, track_id}; reviewers fix it",
    )
    permit_id: int | None = Field(
        default=None,
        foreign_key="permit.id",
        index=True,
        description="the work permit the violation concerns (guardian absent, intrusion)",
    )


class VideoRuleKind(Record, table=True):
    """Catalogue of rule kinds: names and the parameter schema a rule of the kind takes."""

    __tablename__ = "video_rule_kind"

    code: str = Field(max_length=30, unique=True, index=True)
    name: str = Field(max_length=60, index=True)
    name_en: str = Field(max_length=80)
    params_schema: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    description: str | None = Field(default=None, max_length=500)


class VideoClassRole(Record, table=True):
    """Default class → role map per model family (COCO detectors, PPE detectors)."""

    __tablename__ = "video_class_role"

    code: str = Field(max_length=60, unique=True, index=True)
    model_family: str = Field(max_length=30, index=True)
    class_name: str = Field(max_length=60)
    role: DetectionRole = Field(default=DetectionRole.PERSON, index=True)
    description: str | None = Field(default=None, max_length=200)
