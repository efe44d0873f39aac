"""Where the detector's hits end up: one transaction per violation, the spool when the
database cannot take it, and the cameras' heartbeats.

A hit becomes a ``video_violation`` row with its annotated snapshot and its clean frame stored
as attachments, every box of the frame as ``labels`` and the permit it concerns; when the
rule says ``auto_hazard``, a hazard in ``reported`` with that photo, and when a guardian post
rule says ``suspend_permit``, the running permit suspended. All in one commit. Every write is
keyed by ``Hit.key`` under a unique index, so writing the same hit twice, a spool replayed
after a crash, or two processes racing each leave exactly one row and one suspension
(FIELD-NOTES: a failed ``commit()`` does not prove the row is absent).

When the database is unreachable or locked past its busy timeout the hit goes to the
:class:`detectors.spool.Spool` instead, and is committed from there, in order, once the
database is back; new hits queue behind the spool, so violations reach the database in the
order they happened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session, col, select

from core import attachments, audit
from core.attachments import AttachmentRejected
from core.config import Settings
from core.db import utcnow
from core.hazard.flow import report_hazard
from core.i18n import enum_label, t
from core.permit.flow import suspend
from core.rbac import SYSTEM, Actor
from detectors.spool import Record, Spool
from detectors.types import CameraSpec, Hit, RuleSpec
from models.hazard import Hazard, HazardSource
from models.permit import Permit, PermitState
from models.video import Camera, CameraStatus, RuleKind, VideoViolation, VideoZone

log = logging.getLogger(__name__)

TABLE = "video_violation"
HEARTBEAT_BUSY_MS = 1000  # a heartbeat waits at most this long for a locked SQLite file
LAST_ERROR_MAX = 1000  # Camera.last_error max_length

WRITTEN, UNAVAILABLE, REJECTED = "written", "unavailable", "rejected"

_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


def is_unavailable(exc: BaseException) -> bool:
    """True for errors that say "the database cannot take this now" (unreachable, locked,
    connection lost) rather than "this write is wrong": those hits are spooled and retried."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class ViolationSink:
    """Writes hits as violations, spooling to disk while the database is away.

    Args:
        engine: The database the app uses (``core.db.make_engine``).
        settings: For the attachments directory and upload limits.
        spool_dir: A directory of this process's own; created on ``open``.
        actor: Who the audit trail names; the system by default.
        retry_s: After a failed write, hits go straight to the spool for this long before
            the database is tried again (doubling up to ``max_retry_s``), so a dead server
            costs the pipeline one timeout, not one per hit.

    Example:
        >>> with ViolationSink(engine, settings, settings.data_dir / "spool") as sink:
        ...     sink.write(camera, hit, snapshot, frame, labels)  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        spool_dir: Path | str,
        *,
        actor: Actor = SYSTEM,
        retry_s: float = 2.0,
        max_retry_s: float = 60.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.spool = Spool(spool_dir)
        self.actor = actor
        self.retry_s = retry_s
        self.max_retry_s = max_retry_s
        self._lock = threading.RLock()
        self._delay = retry_s
        self._retry_at = 0.0
        self._opened = False

    def __enter__(self) -> ViolationSink:
        self.open()
        return self

    def __exit__(self, exc_type: type | None, exc_val: BaseException | None, exc_tb: Any) -> None:
        self.close()

    def open(self) -> None:
        """Open the spool (it repairs a line a crash cut short)."""
        with self._lock:
            self.spool.open()
            self._opened = True

    def close(self) -> None:
        """Nothing is buffered in memory: every spooled hit is already on disk."""
        self._opened = False

    # -- writing ---------------------------------------------------------------------------

    def write(
        self,
        camera: CameraSpec,
        hit: Hit,
        snapshot_jpeg: bytes,
        frame_jpeg: bytes = b"",
        labels: Sequence[Mapping[str, Any]] = (),
    ) -> bool:
        """Commit ``hit`` as a violation with its snapshot, clean frame and labels; True once
        it is in the database (now or before).

        False means it is on disk instead: spooled because the database is unavailable (it
        is written by a later ``write`` or ``replay``), or, for a hit the database refuses
        for another reason, set aside under ``spool_dir/rejected`` and logged. Raises
        ``OSError`` only when the spool cannot be written either (disk full, no rights).
        """
        record = Record(camera, hit, snapshot_jpeg, frame_jpeg, tuple(labels))
        with self._lock:
            self._ensure_open()
            if time.monotonic() < self._retry_at:
                self.spool.append(record)
                return False
            if self.spool.backlog():
                self._replay()
                if self.spool.backlog():
                    self.spool.append(record)
                    return False
            outcome = self._try_commit(record)
            if outcome == UNAVAILABLE:
                self.spool.append(record)
            return outcome == WRITTEN

    def replay(self) -> int:
        """Write spooled hits in order, dropping each only after its commit; stops at the
        first one the database cannot take yet. Returns how many left the spool."""
        with self._lock:
            self._ensure_open()
            return self._replay()

    def pending(self) -> int:
        """Hits in the spool waiting for the database."""
        with self._lock:
            return self.spool.pending()

    def _replay(self) -> int:
        count = 0
        for end, record in self.spool.entries():
            if record is not None and self._try_commit(record) == UNAVAILABLE:
                break
            self.spool.advance(end, record)  # only now may the hit leave the spool
            count += 1
        self.spool.drop_if_replayed()
        return count

    def _try_commit(self, record: Record) -> str:
        """WRITTEN, UNAVAILABLE (try again later) or REJECTED (set aside, never retried)."""
        try:
            self._commit(record)
        except Exception as exc:
            if is_unavailable(exc):
                self._backoff(exc)
                return UNAVAILABLE
            log.exception("violation %s refused by the database; set aside", record.key)
            self.spool.set_aside(record, exc)
            return REJECTED
        self._delay, self._retry_at = self.retry_s, 0.0
        return WRITTEN

    def _commit(self, record: Record) -> None:
        camera, hit = record.camera, record.hit
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                if _written(session, hit.key):  # a replay: no second row, no second suspension
                    return
                violation = self._add(session, record)
                rule = _rule(camera, hit.rule_id)
                if rule is not None and rule.auto_hazard:
                    with _follow_up(session, hit, "open its hazard"):
                        _open_hazard(session, violation, self.actor)
                if rule is not None and rule.params.get("suspend_permit") and hit.permit_id:
                    with _follow_up(session, hit, "suspend its permit"):
                        _suspend_permit(session, camera, rule, hit, self.actor)
                session.commit()
            except IntegrityError:
                session.rollback()
                if _written(session, hit.key):  # a replay or another process got there first
                    return
                raise

    def _add(self, session: Session, record: Record) -> VideoViolation:
        camera, hit = record.camera, record.hit
        violation = VideoViolation(
            enterprise_id=camera.enterprise_id,
            department_id=camera.department_id,
            camera_id=hit.camera_id,
            zone_id=hit.zone_id,
            rule_id=hit.rule_id,
            rule_kind=RuleKind(hit.kind),
            occurred_at=hit.at,
            track_id=hit.track_id,
            confidence=min(max(float(hit.confidence), 0.0), 1.0),
            boxes=[[round(float(c), 1) for c in box] for box in hit.boxes],
            idem_key=hit.key,
            frame_index=hit.frame_index,
            labels=[dict(label) for label in record.labels],
            permit_id=hit.permit_id,
            created_by=self.actor.user_id,
        )
        session.add(violation)
        session.flush()
        assert violation.id is not None
        violation.snapshot_id = self._attach(session, violation, record.snapshot, "")
        violation.frame_id = self._attach(session, violation, record.frame, "-frame")
        session.add(violation)
        session.flush()
        audit.record(
            session,
            self.actor,
            "create",
            table_name=TABLE,
            row_id=violation.id,
            enterprise_id=violation.enterprise_id,
            after=audit.snapshot(violation),
        )
        return violation

    def _attach(
        self, session: Session, violation: VideoViolation, jpeg: bytes, suffix: str
    ) -> int | None:
        """Store a JPEG of the violation; its id, or None when there is none or the store
        refuses it (the violation matters more than its picture)."""
        if not jpeg:
            return None
        try:
            stored = attachments.store(
                session,
                data=jpeg,
                filename=f"violation-{violation.id}{suffix}.jpg",
                table_name=TABLE,
                row_id=violation.id,
                enterprise_id=violation.enterprise_id,
                actor_id=self.actor.user_id,
                settings=self.settings,
            )
        except AttachmentRejected as exc:
            log.warning("violation %s: picture refused (%s)", violation.idem_key, exc.key)
            return None
        return stored.id

    def _backoff(self, exc: BaseException) -> None:
        log.warning("database unavailable, spooling for %.1f s: %s", self._delay, exc)
        self._retry_at = time.monotonic() + self._delay
        self._delay = min(max(self._delay * 2, 0.0), self.max_retry_s)

    def _ensure_open(self) -> None:
        if not self._opened:
            self.open()

    # -- heartbeats ------------------------------------------------------------------------

    def heartbeat(
        self,
        camera_id: int,
        status: CameraStatus | str,
        fps: float | None = None,
        lag_ms: float | None = None,
        last_frame_at: datetime | None = None,
        last_error: str | None = None,
    ) -> bool:
        """Record a camera's health in its own short transaction; False (and a log line)
        when that failed. Never raises, so a sick database cannot stop a pipeline; skipped
        while writes are backing off."""
        if time.monotonic() < self._retry_at:
            return False
        values: dict[str, Any] = {
            "status": CameraStatus(status),
            "fps": None if fps is None else max(float(fps), 0.0),
            "lag_ms": None if lag_ms is None else max(float(lag_ms), 0.0),
            "last_error": last_error[:LAST_ERROR_MAX] if last_error else None,
            "heartbeat_at": utcnow(),  # the detector is alive, whatever the camera is doing
        }
        if last_frame_at is not None:
            values["last_frame_at"] = last_frame_at
        try:
            with self.engine.connect() as conn:
                usual = None
                if conn.dialect.name == "sqlite":  # wait less than a violation would
                    usual = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={HEARTBEAT_BUSY_MS}")
                try:
                    conn.execute(update(Camera).where(col(Camera.id) == camera_id).values(values))
                    conn.commit()
                finally:
                    if usual is not None:
                        try:
                            conn.rollback()
                            conn.exec_driver_sql(f"PRAGMA busy_timeout={usual}")
                        except Exception:
                            conn.invalidate()  # never hand the short wait back to the pool
                            raise
        except Exception as exc:
            log.warning("camera %s: heartbeat not recorded: %s", camera_id, exc)
            return False
        return True


def _open_hazard(session: Session, violation: VideoViolation, actor: Actor) -> Hazard:
    """Report a hazard for ``violation`` (source: detector) in the zone's area, or else the
    camera's, with the snapshot on its opening event, and link it from the violation.

    The caller's transaction; the review page can call it when a violation of a rule without
    ``auto_hazard`` is confirmed. Texts are in ``actor.language``.
    """

    camera = session.get(Camera, violation.camera_id)
    zone = session.get(VideoZone, violation.zone_id) if violation.zone_id else None
    lang = actor.language
    kind = enum_label(RuleKind(violation.rule_kind), lang)
    names = (camera.name if camera else None, zone.name if zone else None)
    where = " / ".join(n for n in names if n)
    lines = [
        f"{t('table.video_violation', lang)}: {kind}",
        f"{t('field.video.camera_name', lang)}: {camera.name if camera else violation.camera_id}",
        f"{t('field.video.zone_name', lang)}: {zone.name if zone else '—'}",
        f"{t('field.video.occurred_at', lang)}: {violation.occurred_at.isoformat()}",
        f"{t('field.video.confidence', lang)}: {violation.confidence:.2f}",
    ]
    values: dict[str, Any] = {
        "title": f"{kind}：{where}"[:200] if where else kind,
        "description": "\n".join(lines)[:2000],
        "level": "general",
        "source": HazardSource.DETECTOR,
        "enterprise_id": violation.enterprise_id,
        "department_id": violation.department_id,
        "area_id": (zone.area_id if zone else None) or (camera.area_id if camera else None),
        "location": where[:200] or None,
        "found_at": violation.occurred_at,
    }
    photos = [violation.snapshot_id] if violation.snapshot_id else []
    hazard = report_hazard(session, actor, values, attachment_ids=photos)
    before = audit.snapshot(violation)
    violation.hazard_id = hazard.id
    audit.record_update(session, actor, TABLE, violation, before)
    return hazard


@contextmanager
def _follow_up(session: Session, hit: Hit, what: str) -> Iterator[None]:
    """A savepoint for what follows from a violation: the violation matters more, so a step
    that fails is undone alone and logged; only a database that went away fails the whole hit
    (it is then spooled and retried whole)."""
    try:
        with session.begin_nested():
            yield
    except Exception as exc:
        if is_unavailable(exc):
            raise
        log.exception("violation %s: could not %s", hit.key, what)


def _suspend_permit(
    session: Session, camera: CameraSpec, rule: RuleSpec, hit: Hit, actor: Actor
) -> None:
    """Suspend the permit whose guardian post stood empty (GB 30871: the guardian stays for
    the whole job). A permit no longer in progress (suspended, completed, deleted since the
    hit) is left as it is: the hit may be an old one replayed from the spool."""

    permit = session.get(Permit, hit.permit_id)
    if permit is None or permit.deleted_at is not None or permit.state != PermitState.IN_PROGRESS:
        return
    zone = next((z.name for z in camera.zones if z.id == hit.zone_id), str(hit.zone_id))
    reason = t(
        "video_ui.guardian_absent_suspend",
        actor.language,
        camera=camera.name,
        zone=zone,
        seconds=int(rule.params.get("seconds", 0)),
    )
    suspend(session, permit.id, reason, source=actor)


def _written(session: Session, key: str) -> bool:
    stmt = select(VideoViolation.id).where(col(VideoViolation.idem_key) == key)
    return session.exec(stmt).first() is not None


def _rule(camera: CameraSpec, rule_id: int) -> RuleSpec | None:
    return next((r for r in camera.rules if r.id == rule_id), None)
