"""Anchors: the chain's head written outside the database, so a shortened chain is caught.

``safeloop audit anchor`` appends one JSON line ``{seq, hash, at}`` to the data dir's
``audit-anchors.jsonl`` (opened with ``O_APPEND``; the backup carries it) and may POST the same
object to a receiver. Truncating the chain and recomputing the head row then still fails
``verify``: the chain must contain every anchored entry, with the anchored MAC.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from core.db import utcnow


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str


def make_anchor(seq: int, tip: str) -> Anchor:
    return Anchor(seq=seq, hash=tip, at=utcnow().isoformat(timespec="seconds"))


def to_json(anchor: Anchor) -> str:
    return json.dumps(asdict(anchor), sort_keys=True)


def append_anchor(path: Path, anchor: Anchor) -> None:
    """Append one line and sync it; ``O_APPEND`` never overwrites an earlier anchor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (to_json(anchor) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_anchors(path: Path) -> tuple[list[Anchor], list[int]]:
    """The anchors in the file, and the numbers of the lines that are not anchors (an edited
    file is a finding, not something to skip)."""
    if not path.exists():
        return [], []
    anchors, bad = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            anchors.append(Anchor(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"])))
        except (ValueError, KeyError, TypeError):
            bad.append(number)
    return anchors, bad
