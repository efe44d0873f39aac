"""AI-video statistics (违章统计): violations by rule kind, camera, zone, hour of day and day,
the false-alarm rate of the reviews, and each camera's health.

Every figure is a GROUP BY over the actor's scoped violations (``visible``), so the page reads
a few hundred grouped rows whatever the table's size. Days and hours are the site's local
calendar (``core.local_time``).

False-alarm rate = false alarms / reviewed (confirmed + false alarms) over violations that
occurred in the period (``core.video.rules.false_alarm_share``); violations still waiting
for review do not count. The seed material claims ≤ 3 % (``FALSE_ALARM_TARGET``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Integer, case, cast, extract, func
from sqlmodel import Session, col, select

from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.local_time import local_day, offset_minutes, utc_midnight
from core.rbac import Actor
from core.video.rules import false_alarm_share
from models.video import (
    Camera,
    CameraStatus,
    RuleKind,
    VideoRule,
    VideoViolation,
    VideoZone,
    ViolationState,
)

FALSE_ALARM_TARGET = 0.03
STALE_AFTER_S = 30
DETECTOR_DOWN = "detector_down"  # shown instead of the stored status when the detector went quiet
ALIVE = (CameraStatus.RUNNING, CameraStatus.STALLED)  # what only a live detector can claim
TOP = 15


@dataclass(frozen=True)
class VideoQuery:
    """Violations that occurred between two local days (inclusive), optionally one enterprise
    or camera, in ``zone``."""

    start: date
    end: date
    enterprise_id: int | None = None
    camera_id: int | None = None
    zone: str = "Asia/Shanghai"


def default_start(today: date) -> date:
    """Ninety days back: enough for the hour-of-day pattern, short enough to read day by day."""
    return today - timedelta(days=89)


def _scoped(actor: Actor, q: VideoQuery, *columns: Any) -> Any:
    stmt = visible(get_spec("video_violation"), actor).with_only_columns(*columns)
    stmt = stmt.where(
        col(VideoViolation.occurred_at) >= utc_midnight(q.start, q.zone),
        col(VideoViolation.occurred_at) < utc_midnight(q.end + timedelta(days=1), q.zone),
    )
    if q.enterprise_id is not None:
        stmt = stmt.where(VideoViolation.enterprise_id == q.enterprise_id)
    if q.camera_id is not None:
        stmt = stmt.where(VideoViolation.camera_id == q.camera_id)
    return stmt


def local_hour(session: Session, column: Any, zone: str) -> Any:
    """The local hour (0–23) of a UTC timestamp column."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%H", column, f"{offset_minutes(zone):+d} minutes"), Integer)
    return cast(extract("hour", func.timezone(zone, column)), Integer)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def by_kind(session: Session, actor: Actor, q: VideoQuery) -> pl.DataFrame:
    """(kind, count) for every rule kind, largest first."""
    n = func.count().label("n")
    stmt = _scoped(actor, q, VideoViolation.rule_kind, n).group_by(VideoViolation.rule_kind)
    found = {str(k): int(c) for k, c in session.execute(stmt).all()}
    frame = pl.DataFrame(
        {"kind": [k.value for k in RuleKind], "count": [found.get(k.value, 0) for k in RuleKind]}
    )
    return frame.sort(["count", "kind"], descending=[True, False])


def by_camera(session: Session, actor: Actor, q: VideoQuery, top: int = TOP) -> pl.DataFrame:
    """(camera_id, camera, count), the ``top`` busiest cameras."""
    n = func.count().label("n")
    stmt = (
        _scoped(actor, q, VideoViolation.camera_id, n)
        .group_by(VideoViolation.camera_id)
        .order_by(n.desc(), VideoViolation.camera_id)
        .limit(top)
    )
    rows = session.execute(stmt).all()
    names = titles(session, "camera", {c for c, _ in rows})
    return pl.DataFrame(
        [(int(c), names.get(c, f"#{c}"), int(k)) for c, k in rows],
        schema={"camera_id": pl.Int64, "camera": pl.String, "count": pl.Int64},
        orient="row",
    )


def by_zone(session: Session, actor: Actor, q: VideoQuery, top: int = TOP) -> pl.DataFrame:
    """(zone_id, zone, camera, count), the ``top`` busiest zones; the camera tells apart the
    many zones that share a name (every camera has a 禁入区)."""
    n = func.count().label("n")
    stmt = (
        _scoped(actor, q, VideoViolation.zone_id, n)
        .where(col(VideoViolation.zone_id).is_not(None))
        .group_by(VideoViolation.zone_id)
        .order_by(n.desc(), VideoViolation.zone_id)
        .limit(top)
    )
    rows = session.execute(stmt).all()
    ids = sorted(z for z, _ in rows)
    zones = {
        z: (name, cam)
        for z, name, cam in session.execute(
            select(VideoZone.id, VideoZone.name, VideoZone.camera_id).where(
                col(VideoZone.id).in_(ids)
            )
        ).all()
    }
    cams = titles(session, "camera", {cam for _, cam in zones.values()})
    out = []
    for z, k in rows:
        name, cam = zones.get(z, (f"#{z}", None))
        out.append((int(z), name, cams.get(cam, "") if cam else "", int(k)))
    return pl.DataFrame(
        out,
        schema={"zone_id": pl.Int64, "zone": pl.String, "camera": pl.String, "count": pl.Int64},
        orient="row",
    )


def by_hour(session: Session, actor: Actor, q: VideoQuery) -> pl.DataFrame:
    """(hour, count) for all 24 local hours."""
    hour = local_hour(session, VideoViolation.occurred_at, q.zone).label("hour")
    n = func.count().label("n")
    found = {int(h): int(c) for h, c in session.execute(_scoped(actor, q, hour, n).group_by(hour))}
    return pl.DataFrame({"hour": list(range(24)), "count": [found.get(h, 0) for h in range(24)]})


def by_day(session: Session, actor: Actor, q: VideoQuery) -> pl.DataFrame:
    """(day, count) for every local day of the period, empty days included."""
    day = local_day(session, VideoViolation.occurred_at, q.zone).label("day")
    n = func.count().label("n")
    found = {
        _as_date(d): int(c) for d, c in session.execute(_scoped(actor, q, day, n).group_by(day))
    }
    days = pl.date_range(q.start, q.end, "1d", eager=True)
    return pl.DataFrame({"day": days, "count": [found.get(d, 0) for d in days.to_list()]})


@dataclass(frozen=True)
class ReviewRate:
    total: int
    confirmed: int
    false_alarms: int
    pending: int

    @property
    def reviewed(self) -> int:
        return self.confirmed + self.false_alarms

    @property
    def share(self) -> float:
        """False alarms / reviewed, 0 when nothing was reviewed."""
        return false_alarm_share(self.confirmed, self.false_alarms)

    @property
    def within_target(self) -> bool | None:
        return None if not self.reviewed else self.share <= FALSE_ALARM_TARGET


def _state_counts() -> tuple[Any, Any, Any]:
    def count_if(state: ViolationState) -> Any:
        return func.coalesce(func.sum(case((VideoViolation.state == state, 1), else_=0)), 0)

    return (
        count_if(ViolationState.CONFIRMED).label("confirmed"),
        count_if(ViolationState.FALSE_ALARM).label("false_alarms"),
        count_if(ViolationState.NEW).label("pending"),
    )


def review_rate(session: Session, actor: Actor, q: VideoQuery) -> ReviewRate:
    """Overall confirmed / false-alarm / pending counts of the period in one query."""
    confirmed, false_alarms, pending = _state_counts()
    stmt = _scoped(actor, q, func.count().label("n"), confirmed, false_alarms, pending)
    n, c, f, p = session.execute(stmt).one()
    return ReviewRate(int(n or 0), int(c or 0), int(f or 0), int(p or 0))


def false_alarms_by_kind(session: Session, actor: Actor, q: VideoQuery) -> pl.DataFrame:
    """Per rule kind: total, confirmed, false alarms, pending, share (0–1) or null."""
    confirmed, false_alarms, pending = _state_counts()
    stmt = _scoped(
        actor,
        q,
        VideoViolation.rule_kind,
        func.count().label("n"),
        confirmed,
        false_alarms,
        pending,
    ).group_by(VideoViolation.rule_kind)
    rows = [(str(k), int(n), int(c), int(f), int(p)) for k, n, c, f, p in session.execute(stmt)]
    return _with_share(
        pl.DataFrame(
            rows,
            schema={
                "kind": pl.String,
                "total": pl.Int64,
                "confirmed": pl.Int64,
                "false_alarms": pl.Int64,
                "pending": pl.Int64,
            },
            orient="row",
        )
    ).sort("kind")


def false_alarms_by_rule(session: Session, actor: Actor, q: VideoQuery) -> pl.DataFrame:
    """Per rule: rule, kind, camera, zone, counts and share; most false alarms first (a rule
    with one review and one false alarm is 100 % but says little), then the worst share."""
    confirmed, false_alarms, pending = _state_counts()
    stmt = _scoped(
        actor, q, VideoViolation.rule_id, func.count().label("n"), confirmed, false_alarms, pending
    ).group_by(VideoViolation.rule_id)
    counts = session.execute(stmt).all()
    ids = sorted(r for r, *_ in counts if r is not None)
    meta = {
        r: (name, str(kind), zone, zname, cam)
        for r, name, kind, zone, zname, cam in session.execute(
            select(
                VideoRule.id,
                VideoRule.name,
                VideoRule.kind,
                VideoRule.zone_id,
                VideoZone.name,
                VideoZone.camera_id,
            )
            .join(VideoZone, col(VideoZone.id) == VideoRule.zone_id)
            .where(col(VideoRule.id).in_(ids))
        ).all()
    }
    cams = titles(session, "camera", {m[4] for m in meta.values()})
    rows = []
    for r, n, c, f, p in counts:
        name, kind, _zone, zname, cam = meta.get(r, ("—", "", None, "", None))
        rows.append((r, name, kind, cams.get(cam, ""), zname, int(n), int(c), int(f), int(p)))
    frame = pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.Int64,
            "rule": pl.String,
            "kind": pl.String,
            "camera": pl.String,
            "zone": pl.String,
            "total": pl.Int64,
            "confirmed": pl.Int64,
            "false_alarms": pl.Int64,
            "pending": pl.Int64,
        },
        orient="row",
    )
    return _with_share(frame).sort(
        ["false_alarms", "share", "rule_id"], descending=[True, True, False], nulls_last=True
    )


def _with_share(frame: pl.DataFrame) -> pl.DataFrame:
    reviewed = pl.col("confirmed") + pl.col("false_alarms")
    return frame.with_columns(
        reviewed=reviewed,
        share=pl.when(reviewed > 0).then(pl.col("false_alarms") / reviewed).otherwise(None),
    )


def effective_status(
    status: str, last_seen: datetime | None, now: datetime, stale_after_s: int = STALE_AFTER_S
) -> str:
    """A "running" camera whose last frame is older than ``stale_after_s`` (or absent) has
    stalled, whatever it last said."""
    if status != CameraStatus.RUNNING:
        return str(status)
    if last_seen is None:
        return CameraStatus.STALLED
    stale = (now - _utc(last_seen)).total_seconds() > stale_after_s
    return CameraStatus.STALLED if stale else CameraStatus.RUNNING


def detector_down(
    reported: str,
    heartbeat_at: datetime | None,
    now: datetime,
    stale_after_s: float = STALE_AFTER_S,
) -> bool:
    """True when the camera row says running or stalled but the detector has not reported for
    more than ``stale_after_s`` (or never did): the service died or was never started, so the
    row's status is only its last word.

    Example:
        >>> now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        >>> detector_down("running", now - timedelta(minutes=2), now)
        True
        >>> detector_down("stopped", None, now)
        False
    """
    if reported not in ALIVE:
        return False
    if heartbeat_at is None:
        return True
    return (now - _utc(heartbeat_at)).total_seconds() > stale_after_s


def camera_health(
    session: Session, actor: Actor, now: datetime, enterprise_id: int | None = None
) -> pl.DataFrame:
    """One row per visible camera: reported and shown status (``DETECTOR_DOWN`` when the
    detector went quiet, else stalled when frames stopped), fps (and target), lag, last frame
    time and its age, heartbeat age, last error; problems first."""
    stmt = visible(get_spec("camera"), actor).with_only_columns(
        Camera.id,
        Camera.name,
        Camera.area_id,
        Camera.enabled,
        Camera.status,
        Camera.fps,
        Camera.fps_target,
        Camera.lag_ms,
        Camera.last_frame_at,
        Camera.last_error,
        Camera.heartbeat_at,
    )
    if enterprise_id is not None:
        stmt = stmt.where(Camera.enterprise_id == enterprise_id)
    rows = session.execute(stmt.order_by(col(Camera.name))).all()
    areas = titles(session, "area", {r[2] for r in rows if r[2]})
    out = []
    for r in rows:
        reported, last_frame, beat = str(r[4]), _utc(r[8]), _utc(r[10])
        shown = effective_status(reported, last_frame, now)
        out.append(
            {
                "camera_id": r[0],
                "camera": r[1],
                "area": areas.get(r[2], "") if r[2] else "",
                "enabled": bool(r[3]),
                "reported": reported,
                "status": DETECTOR_DOWN if detector_down(reported, beat, now) else shown,
                "fps": r[5],
                "fps_target": r[6],
                "lag_ms": r[7],
                "last_frame_at": last_frame,
                "age_s": None if last_frame is None else (now - last_frame).total_seconds(),
                "heartbeat_age_s": None if beat is None else (now - beat).total_seconds(),
                "last_error": r[9],
            }
        )
    schema = {
        "camera_id": pl.Int64,
        "camera": pl.String,
        "area": pl.String,
        "enabled": pl.Boolean,
        "reported": pl.String,
        "status": pl.String,
        "fps": pl.Float64,
        "fps_target": pl.Float64,
        "lag_ms": pl.Float64,
        "last_frame_at": pl.Datetime("us", "UTC"),
        "age_s": pl.Float64,
        "heartbeat_age_s": pl.Float64,
        "last_error": pl.String,
    }
    rank = {"error": 0, DETECTOR_DOWN: 1, "stalled": 2, "stopped": 3, "running": 4}
    frame = pl.DataFrame(out, schema=schema)
    return (
        frame.with_columns(
            rank=pl.col("status").replace_strict(rank, default=5, return_dtype=pl.Int64)
        )
        .sort(["rank", "camera"])
        .drop("rank")
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
