"""The camera's rules as a pure function of the frames seen so far: detections in, hits out.

Every rule works the same way. Each frame gives an observation per subject (a tracked person
for intrusion, PPE and dwell; the zone for overcrowding and unstaffed posts): does the rule's
condition hold? A streak counts the consecutive frames it held and remembers when it began.
A rule fires when

- the streak is at least ``min_frames`` long (inertia against one-frame flukes),
- the condition has lasted its hold time (``seconds`` for dwell and unstaffed posts, else 0),
- and the subject's cooldown (``cooldown_s`` since its last hit for this rule) is over,

so a violation is written once per track (or zone), rule and cooldown; a condition that still
holds after the cooldown fires again. Persons below the rule's ``min_confidence`` do not count
for it. A tracked person missing from a frame (detector miss) neither extends nor breaks their
streaks for up to ``max_gap_s``; after that, or as soon as they are seen outside the zone,
their streak ends, and the state of a track that is gone is dropped once its cooldown is over
(so a person leaving and re-entering within the cooldown is not reported twice).

Work permits reach the rules through ``context["permits"]``, ``{zone_id: permit_id}`` of the
running permits that cover each zone's area (``detectors.permits.PermitWatch``): an intrusion
rule with ``unless_permit`` is lifted while one does, a post rule with ``while_permit`` is the
permit's guardian post and only counts while the permit runs, and every hit in such a zone
names the permit (the sink may suspend it: ``suspend_permit``).

Time is the frame's ``at``, never the wall clock, so a replay gives the same hits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import numpy as np
import supervision as sv

from detectors.tracking import confidences_of, roles_of
from detectors.types import CameraSpec, Hit, RuleSpec
from detectors.zones import Zones
from models.video import DetectionRole, RuleKind

PPE_ITEMS = ("helmet", "vest")
ZONE_LEVEL = (RuleKind.OVERCROWD, RuleKind.POST_UNSTAFFED)


@dataclass
class Streak:
    """How long a rule's condition has held for one subject, and when it last fired."""

    count: int = 0
    since: datetime | None = None
    last_seen: datetime | None = None
    last_fired: datetime | None = None

    def observe(self, holds: bool, at: datetime) -> None:
        self.last_seen = at
        if holds:
            self.count += 1
            self.since = self.since or at
        else:
            self.end()

    def end(self) -> None:
        self.count, self.since = 0, None

    def cooling(self, at: datetime, cooldown_s: float) -> bool:
        return self.last_fired is not None and (at - self.last_fired).total_seconds() < cooldown_s

    def due(self, at: datetime, rule: RuleSpec, hold_s: float) -> bool:
        return (
            self.count >= rule.min_frames
            and self.since is not None
            and (at - self.since).total_seconds() >= hold_s
            and not self.cooling(at, rule.cooldown_s)
        )


def in_hours(hours: Any, moment: datetime) -> bool:
    """Whether ``moment``'s local time of day falls in one of ``[[start, end], ...]`` hours
    (end exclusive; ``[22, 6]`` wraps past midnight; ``[0, 24]`` is all day)."""
    hour = moment.hour + moment.minute / 60 + moment.second / 3600
    for start, end in hours:
        if (start <= hour < end) if start <= end else (hour >= start or hour < end):
            return True
    return False


class RuleEngine:
    """Evaluates one camera's rules frame by frame; build a new one when the camera's
    ``version`` changes.

    ``tz`` is the site's time zone for hour windows (``core.clock.site_zone()``); without it
    hours are read in ``at``'s own zone (UTC).

    Example:
        >>> from datetime import UTC, datetime
        >>> import numpy as np, supervision as sv
        >>> from detectors.types import ZoneSpec
        >>> pit = ZoneSpec(1, "pit", "danger", ((0, 0), (100, 0), (100, 100), (0, 100)))
        >>> rule = RuleSpec(1, 1, "keep out", "intrusion", {"allowed_people": 0}, min_frames=1)
        >>> camera = CameraSpec(1, "gate", None, None, None, "synthetic://demo", 5, 100, 100,
        ...                     {}, (pit,), (rule,), "v1")
        >>> person = sv.Detections(xyxy=np.array([[10, 10, 30, 90]], dtype=float),
        ...                        confidence=np.array([0.9]), tracker_id=np.array([3]))
        >>> hits = RuleEngine(camera).update(person, datetime(2026, 1, 1, tzinfo=UTC), 0)
        >>> [hit.track_id for hit in hits]
        [3]
    """

    def __init__(
        self, camera: CameraSpec, *, tz: tzinfo | None = None, max_gap_s: float = 1.0
    ) -> None:
        self.camera = camera
        self.zones = Zones.from_camera(camera)
        self.tz = tz
        self.max_gap_s = max_gap_s
        for rule in camera.rules:
            _check(rule, self.zones)
        self._tracks: dict[int, dict[int, Streak]] = {rule.id: {} for rule in camera.rules}
        self._zone: dict[int, Streak] = {rule.id: Streak() for rule in camera.rules}
        self._entered: dict[int, dict[int, datetime]] = {zid: {} for zid in self.zones.specs}
        self._last_seen: dict[int, datetime] = {}

    def update(
        self,
        detections: sv.Detections,
        at: datetime,
        frame_index: int,
        context: Mapping[str, Any] | None = None,
    ) -> list[Hit]:
        """Feed one frame's tracked persons; return the hits it fires, in rule order then
        track id.

        ``context`` carries what the caller knows about the moment: ``permits`` maps a zone
        id to the running permit covering its area (zones without one are absent).
        """
        persons = _persons(detections)
        ids = [int(tid) for tid in persons.tracker_id]
        conf = confidences_of(persons)
        inside = self.zones.trigger(persons)
        self._note_presence(ids, inside, at)
        hits: list[Hit] = []
        for rule in self.camera.rules:
            frame = _Frame(
                self, rule, persons, ids, conf, inside[rule.zone_id], at, frame_index, context or {}
            )
            hits.extend(frame.zone_hits() if rule.kind in ZONE_LEVEL else frame.track_hits())
        self._forget_gone(at)
        return hits

    def _note_presence(self, ids: list[int], inside: dict[int, np.ndarray], at: datetime) -> None:
        for tid in ids:
            self._last_seen[tid] = at
        for zid, mask in inside.items():
            entered = self._entered[zid]
            for tid, is_in in zip(ids, mask, strict=True):
                if is_in:
                    entered.setdefault(tid, at)
                else:
                    entered.pop(tid, None)

    def _gone(self, tid: int, at: datetime) -> bool:
        seen = self._last_seen.get(tid)
        return seen is None or (at - seen).total_seconds() > self.max_gap_s

    def _forget_gone(self, at: datetime) -> None:
        gone = {tid for tid in self._last_seen if self._gone(tid, at)}
        for entered in self._entered.values():
            for tid in gone & entered.keys():
                del entered[tid]
        for rule in self.camera.rules:
            states = self._tracks[rule.id]
            for tid in gone & states.keys():
                states[tid].end()
                if not states[tid].cooling(at, rule.cooldown_s):
                    del states[tid]
        still_needed = set().union(*(states.keys() for states in self._tracks.values()))
        for tid in gone - still_needed:
            del self._last_seen[tid]

    def permitted(self, rule: RuleSpec, at: datetime, context: Mapping[str, Any]) -> bool:
        """Whether intrusion into the rule's zone is allowed right now: inside its permitted
        hours, or (``unless_permit``) while a running permit covers the zone's area."""
        hours = rule.params.get("permitted_hours")
        if hours and in_hours(hours, self.local(at)):
            return True
        return bool(rule.params.get("unless_permit")) and permit_of(rule, context) is not None

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz) if self.tz is not None else at


@dataclass
class _Frame:
    """One rule on one frame: the persons it counts and the hits that follow."""

    engine: RuleEngine
    rule: RuleSpec
    persons: sv.Detections
    ids: list[int]
    conf: np.ndarray
    inside: np.ndarray
    at: datetime
    frame_index: int
    context: Mapping[str, Any]

    @property
    def counted(self) -> np.ndarray:
        """Persons inside the zone that are confident enough for this rule."""
        return self.inside & (self.conf >= self.rule.min_confidence)

    def hit(self, track_id: int | None, confidence: float, rows: np.ndarray) -> Hit:
        return Hit(
            camera_id=self.engine.camera.id,
            rule_id=self.rule.id,
            zone_id=self.rule.zone_id,
            kind=str(self.rule.kind),
            track_id=track_id,
            confidence=round(float(confidence), 4),
            at=self.at,
            frame_index=self.frame_index,
            boxes=tuple(tuple(float(v) for v in box) for box in self.persons.xyxy[rows]),
            permit_id=permit_of(self.rule, self.context),
        )

    def zone_hits(self) -> list[Hit]:
        kind, params, counted = self.rule.kind, self.rule.params, self.counted
        count = int(counted.sum())
        if kind == RuleKind.OVERCROWD:
            limit = int(params.get("max_people", 3))
            holds, hold_s = count > limit, 0.0
            # The (limit+1)-th most confident person is what makes the count exceed the limit.
            confidence = float(np.sort(self.conf[counted])[::-1][limit]) if holds else 0.0
        else:
            local = self.engine.local(self.at)
            staffed_now = not params.get("while_permit") or permit_of(self.rule, self.context)
            holds = (
                bool(staffed_now)
                and in_hours(params.get("hours", [[0, 24]]), local)
                and count < int(params.get("min_people", 1))
            )
            hold_s, confidence = float(params.get("seconds", 120)), 1.0
        state = self.engine._zone[self.rule.id]
        state.observe(holds, self.at)
        if holds and state.due(self.at, self.rule, hold_s):
            state.last_fired = self.at
            return [self.hit(None, confidence, np.flatnonzero(counted))]
        return []

    def track_hits(self) -> list[Hit]:
        holds = self.conditions()
        hold_s = (
            float(self.rule.params.get("seconds", 300)) if self.rule.kind == RuleKind.DWELL else 0.0
        )
        states = self.engine._tracks[self.rule.id]
        hits = []
        for row, tid in enumerate(self.ids):
            state = states.setdefault(tid, Streak())
            state.observe(bool(holds[row]), self.at)
            if holds[row] and state.due(self.at, self.rule, hold_s):
                state.last_fired = self.at
                hits.append(self.hit(tid, self.conf[row], np.array([row])))
        return hits

    def conditions(self) -> np.ndarray:
        """Per person on the frame: does this per-track rule's condition hold?"""
        counted = self.counted
        if self.rule.kind == RuleKind.DWELL:
            return counted
        if self.rule.kind == RuleKind.PPE_MISSING:
            return counted & self.missing_ppe()
        if self.engine.permitted(self.rule, self.at, self.context):
            return np.zeros(len(self.ids), dtype=bool)
        allowed = int(self.rule.params.get("allowed_people", 0))
        entered = self.engine._entered[self.rule.zone_id]
        # The first `allowed` people in (by entry time, then id) are the permitted crew.
        order = sorted(
            np.flatnonzero(counted), key=lambda row: (entered[self.ids[row]], self.ids[row])
        )
        intruders = np.zeros(len(self.ids), dtype=bool)
        intruders[order[allowed:]] = True
        return intruders

    def missing_ppe(self) -> np.ndarray:
        data = self.persons.data
        missing = np.zeros(len(self.ids), dtype=bool)
        if not self.ids:
            return missing
        needed = {"head_visible", "has_helmet", "has_vest"} - data.keys()
        if needed:
            raise ValueError(
                f"ppe_missing needs {sorted(needed)} in data: track with PersonTracker"
            )
        require = self.rule.params.get("require", ["helmet"])
        if "helmet" in require:
            missing |= np.asarray(data["head_visible"], bool) & ~np.asarray(
                data["has_helmet"], bool
            )
        if "vest" in require:
            missing |= ~np.asarray(data["has_vest"], bool)
        return missing


def permit_of(rule: RuleSpec, context: Mapping[str, Any]) -> int | None:
    """The running permit that covers the rule's zone, from ``context["permits"]``."""
    permit = (context.get("permits") or {}).get(rule.zone_id)
    return int(permit) if permit is not None else None


def _check(rule: RuleSpec, zones: Zones) -> None:
    if rule.zone_id not in zones.specs:
        raise ValueError(f"rule {rule.id} ({rule.name}): zone {rule.zone_id} is not on this camera")
    if rule.kind not in set(RuleKind):
        raise ValueError(f"rule {rule.id} ({rule.name}): unknown kind {rule.kind!r}")
    if rule.kind == RuleKind.PPE_MISSING:
        unknown = set(rule.params.get("require", ["helmet"])) - set(PPE_ITEMS)
        if unknown:
            raise ValueError(f"rule {rule.id} ({rule.name}): cannot require {sorted(unknown)}")


def _persons(detections: sv.Detections) -> sv.Detections:
    """The confirmed tracked persons: other roles and unconfirmed (-1) tracks are ignored."""
    if len(detections) == 0:
        empty = sv.Detections.empty()
        empty.tracker_id = np.array([], dtype=int)
        return empty
    if detections.tracker_id is None:
        raise ValueError("RuleEngine.update() needs tracked detections (tracker_id is None)")
    keep = (roles_of(detections) == DetectionRole.PERSON.value) & (
        np.asarray(detections.tracker_id) >= 0
    )
    return detections[keep]
