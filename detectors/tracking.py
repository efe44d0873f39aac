"""Person tracking and PPE association: the step between the model and the rules.

Only person boxes are tracked (a helmet has no identity of its own); head, helmet and vest
boxes are then attached to the tracked person they belong to, so the rules read three flags
per person in ``data`` instead of re-doing geometry:

- ``head_visible``: a head, helmet or no-helmet box sits in the top of the person's box;
- ``has_helmet``: a helmet box is there (and no more confident no-helmet box);
- ``has_vest``: a vest box overlaps the torso (and no more confident no-vest box).

A person whose head is visible without a helmet is a person without a helmet; one whose head
is not visible (back turned, cropped) is not judged. ``head_xyxy`` holds the head box used
(NaN when none), for snapshots.

supervision 0.31 has no ``sv.ByteTrack``; ``trackers.ByteTrackTracker`` takes its place and
marks tracks that are not yet confirmed with id -1, which are dropped here so the rules never
see them.
"""

from __future__ import annotations

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

from models.video import DetectionRole

HEAD_ROLES = (DetectionRole.HEAD, DetectionRole.HELMET, DetectionRole.NO_HELMET)
VEST_ROLES = (DetectionRole.VEST, DetectionRole.NO_VEST)


def roles_of(detections: sv.Detections) -> np.ndarray:
    """The ``role`` column as a string array; every box is a person when it is missing."""
    roles = detections.data.get("role")
    if roles is None:
        return np.full(len(detections), DetectionRole.PERSON.value, dtype=object)
    return np.asarray([str(role) for role in roles], dtype=object)


def confidences_of(detections: sv.Detections) -> np.ndarray:
    """Confidence per box; a detector that gives none is taken as sure (1.0)."""
    if detections.confidence is None:
        return np.ones(len(detections), dtype=float)
    return np.asarray(detections.confidence, dtype=float)


def _head_scores(
    persons: np.ndarray, items: np.ndarray, head_fraction: float, overhang: float
) -> np.ndarray:
    """(persons × items) closeness of each head-like box to each person's head region; 0 where
    the item's centre is outside that region (top ``head_fraction`` of the box, plus
    ``overhang`` above it because a helmet often sticks out of a tight person box)."""
    px1, py1, px2, py2 = (persons[:, i : i + 1] for i in range(4))
    height = np.maximum(py2 - py1, 1.0)
    width = np.maximum(px2 - px1, 1.0)
    cx = (items[:, 0] + items[:, 2]) / 2
    cy = (items[:, 1] + items[:, 3]) / 2
    inside = (
        (cx >= px1)
        & (cx <= px2)
        & (cy >= py1 - overhang * height)
        & (cy <= py1 + head_fraction * height)
    )
    # Closer to the top centre of the person is a better match; normalised so a tall and a
    # short person compete fairly.
    dx = (cx - (px1 + px2) / 2) / width
    dy = (cy - py1) / height
    return np.where(inside, 1.0 / (1.0 + np.hypot(dx, dy)), 0.0)


def _torso_scores(persons: np.ndarray, items: np.ndarray, torso: tuple[float, float]) -> np.ndarray:
    """(persons × items) share of each vest box that lies on each person's torso band."""
    px1, py1, px2, py2 = (persons[:, i : i + 1] for i in range(4))
    height = py2 - py1
    ty1 = py1 + torso[0] * height
    ty2 = py1 + torso[1] * height
    ix = np.clip(np.minimum(px2, items[:, 2]) - np.maximum(px1, items[:, 0]), 0, None)
    iy = np.clip(np.minimum(ty2, items[:, 3]) - np.maximum(ty1, items[:, 1]), 0, None)
    area = np.maximum((items[:, 2] - items[:, 0]) * (items[:, 3] - items[:, 1]), 1e-9)
    return ix * iy / area


def _assign(scores: np.ndarray, minimum: float) -> np.ndarray:
    """Owner (person index) of each item, -1 when none scores at least ``minimum``; ties go to
    the lower person index so the result never depends on anything but the input."""
    best = np.argmax(scores, axis=0)  # first maximum: the lower index wins a tie
    top = scores[best, np.arange(scores.shape[1])]
    return np.where((top >= minimum) & (top > 0), best, -1)


def attach_ppe(
    persons: sv.Detections,
    items: sv.Detections,
    *,
    head_fraction: float = 0.35,
    overhang: float = 0.15,
    torso: tuple[float, float] = (0.2, 0.75),
    min_vest_overlap: float = 0.5,
    head_always_visible: bool = False,
) -> sv.Detections:
    """Return ``persons`` with ``head_visible``, ``has_helmet``, ``has_vest`` and
    ``head_xyxy`` in ``data``, from the head/helmet/vest boxes among ``items``.

    Each item goes to one person at most (the best match). ``head_always_visible`` is for
    models without a head or no-helmet class: every person's head then counts as visible, so
    a missing helmet box means no helmet.

    Example:
        >>> import numpy as np, supervision as sv
        >>> persons = sv.Detections(xyxy=np.array([[0, 0, 100, 300]], dtype=float))
        >>> items = sv.Detections(
        ...     xyxy=np.array([[30, 0, 70, 40]], dtype=float), data={"role": np.array(["helmet"])}
        ... )
        >>> attach_ppe(persons, items).data["has_helmet"].tolist()
        [True]
    """
    out = persons[:]  # a copy of the columns: the caller's detections stay as they were
    n = len(persons)
    roles = roles_of(items)
    conf = confidences_of(items)
    pboxes = np.asarray(persons.xyxy, dtype=float).reshape(-1, 4)
    iboxes = np.asarray(items.xyxy, dtype=float).reshape(-1, 4)

    head_visible = np.full(n, head_always_visible, dtype=bool)
    helmet_conf = np.zeros(n)
    no_helmet_conf = np.zeros(n)
    vest_conf = np.zeros(n)
    no_vest_conf = np.zeros(n)
    head_xyxy = np.full((n, 4), np.nan)
    head_score = np.zeros(n)

    is_head = np.isin(roles, [role.value for role in HEAD_ROLES])
    is_vest = np.isin(roles, [role.value for role in VEST_ROLES])
    if n and is_head.any():
        idx = np.flatnonzero(is_head)
        scores = _head_scores(pboxes, iboxes[idx], head_fraction, overhang)
        for col, owner in enumerate(_assign(scores, 0.0)):
            if owner < 0:
                continue
            item = idx[col]
            head_visible[owner] = True
            if scores[owner, col] > head_score[owner]:
                head_score[owner] = scores[owner, col]
                head_xyxy[owner] = iboxes[item]
            if roles[item] == DetectionRole.HELMET:
                helmet_conf[owner] = max(helmet_conf[owner], conf[item])
            elif roles[item] == DetectionRole.NO_HELMET:
                no_helmet_conf[owner] = max(no_helmet_conf[owner], conf[item])
    if n and is_vest.any():
        idx = np.flatnonzero(is_vest)
        scores = _torso_scores(pboxes, iboxes[idx], torso)
        for col, owner in enumerate(_assign(scores, min_vest_overlap)):
            if owner < 0:
                continue
            item = idx[col]
            if roles[item] == DetectionRole.VEST:
                vest_conf[owner] = max(vest_conf[owner], conf[item])
            else:
                no_vest_conf[owner] = max(no_vest_conf[owner], conf[item])

    out.data["head_visible"] = head_visible
    out.data["has_helmet"] = (helmet_conf > 0) & (helmet_conf >= no_helmet_conf)
    out.data["has_vest"] = (vest_conf > 0) & (vest_conf >= no_vest_conf)
    out.data["head_xyxy"] = head_xyxy
    return out


class PersonTracker:
    """ByteTrack over the person boxes of a frame, then PPE attached to each tracked person.

    Deterministic: the same detections in the same order give the same ids and flags.

    Example:
        >>> import numpy as np, supervision as sv
        >>> tracker = PersonTracker(minimum_consecutive_frames=1)
        >>> frame = sv.Detections(
        ...     xyxy=np.array([[10, 10, 60, 160]], dtype=float),
        ...     confidence=np.array([0.9]),
        ...     data={"role": np.array(["person"])},
        ... )
        >>> tracker.update(frame).tracker_id.tolist()  # a new track is unconfirmed at first
        []
        >>> tracker.update(frame).tracker_id.tolist()
        [0]
    """

    def __init__(
        self,
        *,
        frame_rate: float = 5.0,
        lost_track_buffer: int = 30,
        track_activation_threshold: float = 0.5,
        minimum_consecutive_frames: int = 2,
        minimum_iou_threshold: float = 0.1,
        high_conf_det_threshold: float = 0.6,
        head_always_visible: bool = False,
    ) -> None:
        self.head_always_visible = head_always_visible
        self._settings = {
            "frame_rate": frame_rate,
            "lost_track_buffer": lost_track_buffer,
            "track_activation_threshold": track_activation_threshold,
            "minimum_consecutive_frames": minimum_consecutive_frames,
            "minimum_iou_threshold": minimum_iou_threshold,
            "high_conf_det_threshold": high_conf_det_threshold,
        }
        self._tracker = ByteTrackTracker(**self._settings)

    def update(self, detections: sv.Detections, timestamp: float | None = None) -> sv.Detections:
        """Track the persons in one frame's detections; return the confirmed ones, sorted by
        ``tracker_id``, with the PPE flags in ``data``.

        ``timestamp`` (seconds, non-decreasing) lets the tracker bridge dropped frames; leave
        it ``None`` for a steady frame rate.
        """
        roles = roles_of(detections)
        is_person = roles == DetectionRole.PERSON.value
        persons = detections[is_person] if len(detections) else detections
        items = detections[~is_person] if len(detections) else detections
        tracked = self._tracker.update(persons, timestamp=timestamp)
        if tracked.tracker_id is None or len(tracked) == 0:
            return attach_ppe(_empty_tracked(), items)
        confirmed = tracked[tracked.tracker_id != -1]
        if len(confirmed) == 0:
            return attach_ppe(_empty_tracked(), items)
        confirmed = confirmed[np.argsort(confirmed.tracker_id, kind="stable")]
        return attach_ppe(confirmed, items, head_always_visible=self.head_always_visible)

    def reset(self) -> None:
        """Forget every track (new video, camera reconfigured); ids start again at 0."""
        self._tracker = ByteTrackTracker(**self._settings)


def _empty_tracked() -> sv.Detections:
    empty = sv.Detections.empty()
    empty.tracker_id = np.array([], dtype=int)
    empty.confidence = np.array([], dtype=float)
    empty.data["role"] = np.array([], dtype=object)
    return empty
