"""Where the detector's hits end up: one transaction per violation, a disk spool when the
database cannot take it, and the cameras' heartbeats.

A hit becomes a ``video_violation`` row with its snapshot stored as an attachment (and, when
the rule says ``auto_hazard``, a hazard in ``reported`` with that photo), all in one commit.
Every write is keyed by ``Hit.key`` under a unique index, so writing the same hit twice, a
spool replayed after a crash, or two processes racing each leave exactly one row (FIELD-NOTES:
a failed ``commit()`` does not prove the row is absent).

When the database is unreachable or locked past its busy timeout the hit goes to
``spool_dir`` instead: ``hits.jsonl`` gets one fsync'd JSON line per hit (appended, never
rewritten) and the JPEG lies next to it, written to a temp file and renamed. ``hits.done``
holds the byte offset of the first line not yet committed; it moves forward only after a
commit, so a crash in between replays a hit whose key is already taken: a no-op. New hits
queue behind the spool, so violations reach the database in the order they happened.
One process per spool directory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import asdict, replace
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
from core.attachments import AttachmentRejected, write_atomic
from core.config import Settings
from core.i18n import enum_label, t
from core.rbac import SYSTEM, Actor
from detectors.types import CameraSpec, Hit, RuleSpec, ZoneSpec
from models.hazard import Hazard, HazardSource
from models.video import Camera, CameraStatus, RuleKind, VideoViolation, VideoZone

log = logging.getLogger(__name__)

TABLE = "video_violation"
JOURNAL = "hits.jsonl"
CURSOR = "hits.done"
REJECTED = "rejected"
SPOOL_FORMAT = 1
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
        ...     sink.write(camera, hit, jpeg)  # doctest: +SKIP
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
        self.spool_dir = Path(spool_dir)
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
        """Create the spool directory and repair a line a crash cut short."""
        with self._lock:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            _repair_tail(self._journal)
            if not self._journal.exists():
                self._cursor_path.unlink(missing_ok=True)
            self._opened = True

    def close(self) -> None:
        """Nothing is buffered in memory: every spooled hit is already on disk."""
        self._opened = False

    # -- writing ---------------------------------------------------------------------------

    def write(self, camera: CameraSpec, hit: Hit, snapshot_jpeg: bytes) -> bool:
        """Commit ``hit`` as a violation; True once it is in the database (now or before).

        False means it is on disk instead: spooled because the database is unavailable (it
        is written by a later ``write`` or ``replay``), or, for a hit the database refuses
        for another reason, set aside under ``spool_dir/rejected`` and logged. Raises
        ``OSError`` only when the spool cannot be written either (disk full, no rights).
        """
        with self._lock:
            self._ensure_open()
            if time.monotonic() < self._retry_at:
                self._spool(camera, hit, snapshot_jpeg)
                return False
            if self._backlog():
                self._replay()
                if self._backlog():
                    self._spool(camera, hit, snapshot_jpeg)
                    return False
            outcome = self._try_commit(camera, hit, snapshot_jpeg)
            if outcome == UNAVAILABLE:
                self._spool(camera, hit, snapshot_jpeg)
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
            return sum(1 for _ in self._pending_lines())

    def _try_commit(self, camera: CameraSpec, hit: Hit, jpeg: bytes) -> str:
        """WRITTEN, UNAVAILABLE (try again later) or REJECTED (set aside, never retried)."""
        try:
            self._commit(camera, hit, jpeg)
        except Exception as exc:
            if is_unavailable(exc):
                self._backoff(exc)
                return UNAVAILABLE
            log.exception("violation %s refused by the database; set aside", hit.key)
            self._reject(camera, hit, jpeg, exc)
            return REJECTED
        self._delay, self._retry_at = self.retry_s, 0.0
        return WRITTEN

    def _commit(self, camera: CameraSpec, hit: Hit, jpeg: bytes) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                if _written(session, hit.key):
                    return
                violation = self._add(session, camera, hit, jpeg)
                rule = _rule(camera, hit.rule_id)
                if rule is not None and rule.auto_hazard:
                    try:
                        with session.begin_nested():
                            _open_hazard(session, violation, self.actor)
                    except Exception as exc:
                        if is_unavailable(exc):
                            raise
                        log.exception("violation %s: could not open its hazard", hit.key)
                session.commit()
            except IntegrityError:
                session.rollback()
                if _written(session, hit.key):  # a replay or another process got there first
                    return
                raise

    def _add(self, session: Session, camera: CameraSpec, hit: Hit, jpeg: bytes) -> VideoViolation:
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
            created_by=self.actor.user_id,
        )
        session.add(violation)
        session.flush()
        assert violation.id is not None
        try:
            stored = attachments.store(
                session,
                data=jpeg,
                filename=f"violation-{violation.id}.jpg",
                table_name=TABLE,
                row_id=violation.id,
                enterprise_id=camera.enterprise_id,
                actor_id=self.actor.user_id,
                settings=self.settings,
            )
            violation.snapshot_id = stored.id
            session.add(violation)
            session.flush()
        except AttachmentRejected as exc:  # the violation matters more than its picture
            log.warning("violation %s: snapshot refused (%s)", hit.key, exc.key)
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

    # -- the spool -------------------------------------------------------------------------

    @property
    def _journal(self) -> Path:
        return self.spool_dir / JOURNAL

    @property
    def _cursor_path(self) -> Path:
        return self.spool_dir / CURSOR

    def _cursor(self) -> int:
        try:
            done = int(self._cursor_path.read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
        size = self._journal.stat().st_size if self._journal.exists() else 0
        return done if 0 <= done <= size else 0  # a cursor past the end: replay all, safely

    def _backlog(self) -> bool:
        try:
            size = self._journal.stat().st_size
        except FileNotFoundError:
            return False
        return size > self._cursor()

    def _spool(self, camera: CameraSpec, hit: Hit, jpeg: bytes) -> None:
        name = _snapshot_name(hit.key)
        if jpeg:
            _write_atomic(self.spool_dir / name, jpeg)
        record = {
            "format": SPOOL_FORMAT,
            "key": hit.key,
            "snapshot": name if jpeg else None,
            "camera": _camera_json(camera, hit),
            "hit": _hit_json(hit),
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._journal.open("ab") as fh:
            fh.write(line.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.spool_dir)

    def _pending_lines(self) -> Any:
        """(end offset, line) of each complete line after the cursor, oldest first."""
        if not self._journal.exists():
            return
        with self._journal.open("rb") as fh:
            fh.seek(self._cursor())
            while True:
                line = fh.readline()
                if not line.endswith(b"\n"):  # end of file, or a line a crash cut short
                    return
                yield fh.tell(), line

    def _replay(self) -> int:
        count = 0
        for end, line in list(self._pending_lines()):
            loaded = self._load(line)
            if loaded is not None:
                camera, hit, snap = loaded
                jpeg = snap.read_bytes() if snap is not None and snap.exists() else b""
                if self._try_commit(camera, hit, jpeg) == UNAVAILABLE:
                    break
            self._advance(end)  # only now may the hit leave the spool
            if loaded is not None and loaded[2] is not None:
                loaded[2].unlink(missing_ok=True)
            count += 1
        if not self._backlog():
            self._reset()
        return count

    def _load(self, line: bytes) -> tuple[CameraSpec, Hit, Path | None] | None:
        """A spooled hit, or None (set aside) for a line that cannot be read back."""
        try:
            record = json.loads(line)
            camera, hit = _camera_from(record["camera"]), _hit_from(record["hit"])
        except (ValueError, KeyError, TypeError) as exc:
            log.error("spool line unreadable, set aside: %s", exc)
            self._set_aside({"line": line.decode("utf-8", "replace")}, None, exc)
            return None
        # The name is derived again, never taken from the file: no path comes from outside.
        snapshot = self.spool_dir / _snapshot_name(hit.key) if record.get("snapshot") else None
        return camera, hit, snapshot

    def _advance(self, offset: int) -> None:
        _write_atomic(self._cursor_path, str(offset).encode("ascii"))

    def _reset(self) -> None:
        """Everything replayed: start the next outage with an empty spool. The cursor goes
        first: a journal without a cursor is replayed again (harmless), a stale cursor over a
        new journal would skip hits."""
        self._cursor_path.unlink(missing_ok=True)
        self._journal.unlink(missing_ok=True)
        for leftover in self.spool_dir.glob("*.jpg"):
            leftover.unlink(missing_ok=True)

    def _reject(self, camera: CameraSpec, hit: Hit, jpeg: bytes, exc: BaseException) -> None:
        record = {"key": hit.key, "camera": _camera_json(camera, hit), "hit": _hit_json(hit)}
        self._set_aside(record, jpeg, exc)

    def _set_aside(self, record: dict[str, Any], jpeg: bytes | None, exc: BaseException) -> None:
        """Keep a hit the database refuses where an operator can look at it, out of the way
        of the hits behind it."""
        folder = self.spool_dir / REJECTED
        folder.mkdir(exist_ok=True)
        if jpeg and "key" in record:
            name = _snapshot_name(record["key"])
            _write_atomic(folder / name, jpeg)
            record = {**record, "snapshot": name}
        record = {**record, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        with (folder / JOURNAL).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _open_hazard(session: Session, violation: VideoViolation, actor: Actor) -> Hazard:
    """Report a hazard for ``violation`` (source: detector) in the zone's area, or else the
    camera's, with the snapshot on its opening event, and link it from the violation.

    The caller's transaction; the review page can call it when a violation of a rule without
    ``auto_hazard`` is confirmed. Texts are in ``actor.language``.
    """
    from core.hazard_flow import report_hazard  # the hazard workflow imports much; load late

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


def _written(session: Session, key: str) -> bool:
    stmt = select(VideoViolation.id).where(col(VideoViolation.idem_key) == key)
    return session.exec(stmt).first() is not None


def _rule(camera: CameraSpec, rule_id: int) -> RuleSpec | None:
    return next((r for r in camera.rules if r.id == rule_id), None)


def _snapshot_name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".jpg"


def _camera_json(camera: CameraSpec, hit: Hit) -> dict[str, Any]:
    """The camera as the sink needs it later: only the hit's zone and rule, no model."""
    trimmed = replace(
        camera,
        detector_config={},
        zones=tuple(z for z in camera.zones if z.id == hit.zone_id),
        rules=tuple(r for r in camera.rules if r.id == hit.rule_id),
    )
    return asdict(trimmed)


def _camera_from(data: dict[str, Any]) -> CameraSpec:
    zones = tuple(
        ZoneSpec(**{**z, "polygon": tuple(tuple(p) for p in z["polygon"])}) for z in data["zones"]
    )
    rules = tuple(RuleSpec(**r) for r in data["rules"])
    return CameraSpec(**{**data, "zones": zones, "rules": rules})


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {**asdict(hit), "at": hit.at.isoformat()}


def _hit_from(data: dict[str, Any]) -> Hit:
    boxes = tuple(tuple(float(c) for c in box) for box in data["boxes"])
    return Hit(**{**data, "at": datetime.fromisoformat(data["at"]), "boxes": boxes})


def _write_atomic(path: Path, data: bytes) -> None:
    """The attachment store's atomic write, then the directory entry made durable too."""
    write_atomic(path, data)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename or a new file survive a power cut (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _repair_tail(journal: Path) -> None:
    """Cut a last line a crash left without its newline, so the next append starts clean."""
    if not journal.exists():
        return
    with journal.open("rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        fh.seek(0)
        keep = fh.read().rfind(b"\n") + 1  # only after a crash: reading it all is fine
        log.warning("spool %s: dropping %d bytes of a line cut short", journal, size - keep)
        fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
