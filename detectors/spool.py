"""The detector's spool: hits the database could not take yet, kept on disk until it can.

One job: an append-only journal of records and their files, durable before ``append``
returns. ``hits.jsonl`` gets one fsync'd JSON line per hit (appended, never rewritten); its
JPEGs (the annotated snapshot and the clean frame) lie next to it, each written to a temp file
and renamed, named after the hit's key (never after anything read back from the file).
``hits.done`` holds the byte offset of the first line not yet committed; the sink moves it
forward only after a commit, so a crash in between replays a hit whose key is already taken,
which the sink turns into a no-op. One process per spool directory.

Format 2 lines carry the clean frame and the labels too; format 1 lines (snapshot only) are
still read, with no frame and no labels.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from core.attachments import write_atomic
from detectors.types import CameraSpec, Hit, RuleSpec, ZoneSpec

log = logging.getLogger(__name__)

JOURNAL = "hits.jsonl"
CURSOR = "hits.done"
REJECTED = "rejected"
FORMAT = 2
FILES = {"snapshot": ".jpg", "frame": ".frame.jpg"}  # record field → file name suffix


@dataclass(frozen=True)
class Record:
    """One hit with everything the sink stores for it: what travels through the spool."""

    camera: CameraSpec
    hit: Hit
    snapshot: bytes = b""  # the annotated JPEG
    frame: bytes = b""  # the clean JPEG (training data)
    labels: tuple[Mapping[str, Any], ...] = ()  # every box on the frame

    @property
    def key(self) -> str:
        return self.hit.key

    def files(self) -> dict[str, bytes]:
        """``{file name: bytes}`` of the JPEGs this record has."""
        return {_file_name(self.key, f): data for f in FILES if (data := getattr(self, f))}


class Spool:
    """The journal, its cursor and the set-aside folder in ``folder``.

    Example:
        >>> spool = Spool(tmp_path)  # doctest: +SKIP
        >>> spool.open(); spool.append(Record(camera, hit, jpeg))  # doctest: +SKIP
        >>> [(end, r.key) for end, r in spool.entries()]  # doctest: +SKIP
        [(412, '3:7:t12:2026-03-01T08:00:00+00:00')]
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    @property
    def journal(self) -> Path:
        return self.folder / JOURNAL

    @property
    def cursor_path(self) -> Path:
        return self.folder / CURSOR

    def open(self) -> None:
        """Create the folder and repair a line a crash cut short."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _repair_tail(self.journal)
        if not self.journal.exists():
            self.cursor_path.unlink(missing_ok=True)

    def append(self, record: Record) -> None:
        """Add ``record`` at the end; its files first, so a line never names a missing file."""
        for name, data in record.files().items():
            _write_durable(self.folder / name, data)
        line = json.dumps(_to_json(record), ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.journal.open("ab") as fh:
            fh.write(line.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.folder)

    def backlog(self) -> bool:
        """Are there lines after the cursor?"""
        try:
            size = self.journal.stat().st_size
        except FileNotFoundError:
            return False
        return size > self._cursor()

    def pending(self) -> int:
        return sum(1 for _ in self._lines())

    def entries(self) -> Iterator[tuple[int, Record | None]]:
        """(end offset, record) of each line after the cursor, oldest first; a line that cannot
        be read back is set aside and comes as None (advance past it all the same)."""
        for end, line in list(self._lines()):
            yield end, self._load(line)

    def advance(self, offset: int, record: Record | None) -> None:
        """Everything up to ``offset`` is in the database: move the cursor, drop its files."""
        _write_durable(self.cursor_path, str(offset).encode("ascii"))
        if record is not None:
            for field in FILES:
                (self.folder / _file_name(record.key, field)).unlink(missing_ok=True)

    def drop_if_replayed(self) -> None:
        """Everything replayed: start the next outage with an empty spool. The cursor goes
        first: a journal without a cursor is replayed again (harmless), a stale cursor over a
        new journal would skip hits."""
        if self.backlog():
            return
        self.cursor_path.unlink(missing_ok=True)
        self.journal.unlink(missing_ok=True)
        for leftover in self.folder.glob("*.jpg"):
            leftover.unlink(missing_ok=True)

    def set_aside(self, record: Record, exc: BaseException) -> None:
        """Keep a hit the database refuses where an operator can look at it, out of the way
        of the hits behind it."""
        self._put_aside(_to_json(record), record.files(), exc)

    # -- internals -------------------------------------------------------------------------

    def _cursor(self) -> int:
        try:
            done = int(self.cursor_path.read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
        size = self.journal.stat().st_size if self.journal.exists() else 0
        return done if 0 <= done <= size else 0  # a cursor past the end: replay all, safely

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(end offset, line) of each complete line after the cursor, oldest first."""
        if not self.journal.exists():
            return
        with self.journal.open("rb") as fh:
            fh.seek(self._cursor())
            while True:
                line = fh.readline()
                if not line.endswith(b"\n"):  # end of file, or a line a crash cut short
                    return
                yield fh.tell(), line

    def _load(self, line: bytes) -> Record | None:
        try:
            data = json.loads(line)
            camera, hit = _camera_from(data["camera"]), _hit_from(data["hit"])
            labels = tuple(dict(label) for label in data.get("labels") or ())
        except (ValueError, KeyError, TypeError) as exc:
            log.error("spool line unreadable, set aside: %s", exc)
            self._put_aside({"line": line.decode("utf-8", "replace")}, {}, exc)
            return None
        files = {f: self._read(hit.key, f) if data.get(f) else b"" for f in FILES}
        return Record(camera, hit, labels=labels, **files)

    def _read(self, key: str, field: str) -> bytes:
        path = self.folder / _file_name(key, field)
        return path.read_bytes() if path.exists() else b""

    def _put_aside(
        self, data: dict[str, Any], files: Mapping[str, bytes], exc: BaseException
    ) -> None:
        folder = self.folder / REJECTED
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            _write_durable(folder / name, content)
        data = {**data, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        with (folder / JOURNAL).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")


def _file_name(key: str, field: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + FILES[field]


def _to_json(record: Record) -> dict[str, Any]:
    files = {f: _file_name(record.key, f) if getattr(record, f) else None for f in FILES}
    return {
        "format": FORMAT,
        "key": record.key,
        **files,
        "labels": [dict(label) for label in record.labels],
        "camera": _camera_json(record.camera, record.hit),
        "hit": {**asdict(record.hit), "at": record.hit.at.isoformat()},
    }


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


def _hit_from(data: dict[str, Any]) -> Hit:
    boxes = tuple(tuple(float(c) for c in box) for box in data["boxes"])
    return Hit(**{**data, "at": datetime.fromisoformat(data["at"]), "boxes": boxes})


def _write_durable(path: Path, data: bytes) -> None:
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
