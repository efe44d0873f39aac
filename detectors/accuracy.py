"""How well the detector's violations match the synthetic scene's ground truth, under noise.

The *reference* comes from the scene's truth alone: where each person's feet are, whether they
wear a hard hat, how many people stand in each zone, frame by frame, read through each rule's
definition (``min_frames`` consecutive frames, the hold time, one alarm per subject and
cooldown). It never runs the tracker, the PPE association or the rule engine: those are what is
measured. The *measured* run feeds detections through the service's own :class:`Pipeline`: the
truth made worse by a seeded :class:`Noise` (missed frames, missed boxes, jittered boxes,
flickering false persons), or a real model on the rendered frames.

Each expected alarm owns a window of frames, from ``tolerance_s`` before it to the subject's next
alarm (or the end of the condition) plus ``tolerance_s``. A hit matches an unmatched alarm of its
rule whose window it falls in and whose subject it is: the zone for zone-level rules, else the
person whose true box overlaps the hit's box best (IoU ≥ ``MIN_IOU``). Unmatched hits are false
positives, including a second alarm for the same person within the cooldown (a track that
switched id); unmatched alarms are misses.

Example:
    >>> uri = "synthetic://production?seed=1&people=3&width=640&height=360&fps=10"
    >>> report = evaluate(uri, 200, default_rules(uri))
    >>> report.overall.precision, report.overall.recall
    (1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import supervision as sv

from detectors.backends import Backend
from detectors.layout import FLOOR_Y
from detectors.pipeline import Pipeline
from detectors.rules import ZONE_LEVEL
from detectors.scene import PersonTruth, scene_from_uri, zones_for
from detectors.types import CameraSpec, Hit, RuleSpec
from detectors.zones import Zones
from models.video import RuleKind

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
MIN_IOU = 0.3
NAMES = {0: "person", 1: "head", 2: "helmet"}  # the shipped model's classes
CLASS_ID = {name: cid for cid, name in NAMES.items()}
UNMODELLED = ("permitted_hours", "unless_permit", "while_permit", "hours")
NEUTRAL = (None, False, [], [[0, 24]])  # values of those that change nothing (filled defaults)


# ------------------------------------------------------------------------------ detections


def truth_detections(truth: Sequence[PersonTruth], confidence: float = 0.9) -> sv.Detections:
    """What a perfect model sees: each person's box and their head as ``helmet`` or ``head``."""
    boxes, roles = [], []
    for person in truth:
        boxes += [person.box, person.head]
        roles += ["person", "helmet" if person.helmet else "head"]
    return _detections(np.array(boxes, dtype=np.float32), roles, confidence)


def _detections(xyxy: np.ndarray, roles: list[str], confidence: float) -> sv.Detections:
    return sv.Detections(
        xyxy=xyxy.reshape(-1, 4).astype(np.float32),
        confidence=np.full(len(roles), confidence, dtype=np.float32),
        class_id=np.array([CLASS_ID[r] for r in roles], dtype=int),
        data={"role": np.array(roles, dtype=str), "class_name": np.array(roles, dtype=str)},
    )


@dataclass(frozen=True)
class Noise:
    """A worse detector than the truth, reproducible from ``seed``.

    Args:
        missed_frames: probability that a frame gives no boxes at all.
        missed_boxes: probability that each box (person, head or helmet) is missed.
        jitter: standard deviation of each coordinate, as a fraction of the box's size.
        false_boxes: new false persons per frame (Poisson mean). A false person stays where it
            appeared for 1 to ``false_frames`` frames, as a detector flickers on a pole or a
            coat: one-frame noise would never pass the tracker's confirmation.
        bare_head: share of false persons that come with a bare head (a PPE violation); the
            others wear a helmet.
    """

    seed: int = 0
    missed_frames: float = 0.0
    missed_boxes: float = 0.0
    jitter: float = 0.0
    false_boxes: float = 0.0
    false_frames: int = 3
    bare_head: float = 0.5


class NoisyDetector:
    """Applies a :class:`Noise` to one run's detections, frame after frame (it keeps the false
    persons that are still showing, so call it once per frame, in order)."""

    def __init__(self, noise: Noise, width: int, height: int) -> None:
        self.noise, self.width, self.height = noise, width, height
        self.rng = np.random.default_rng(noise.seed)
        self.ghosts: list[tuple[np.ndarray, list[str], int]] = []  # boxes, roles, frames left

    def __call__(self, detections: sv.Detections) -> sv.Detections:
        noise, rng = self.noise, self.rng
        self._spawn(int(rng.poisson(noise.false_boxes)) if noise.false_boxes else 0)
        ghosts = [_detections(boxes, roles, 0.9) for boxes, roles, _ in self.ghosts]
        self.ghosts = [(b, r, left - 1) for b, r, left in self.ghosts if left > 1]
        if rng.random() < noise.missed_frames:
            return truth_detections([])
        kept = detections[rng.random(len(detections)) >= noise.missed_boxes]
        if noise.jitter and len(kept):
            xyxy = kept.xyxy.astype(float)
            size = np.tile(xyxy[:, 2:] - xyxy[:, :2], 2)
            xyxy += rng.normal(0.0, noise.jitter, xyxy.shape) * size
            xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, self.width)
            xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, self.height)
            kept.xyxy = np.sort(xyxy.reshape(-1, 2, 2), axis=1).reshape(-1, 4).astype(np.float32)
        return sv.Detections.merge([kept, *ghosts]) if ghosts else kept

    def _spawn(self, count: int) -> None:
        """False persons standing on the floor, sized like the scene's people at that depth."""
        w, h, rng = self.width, self.height, self.rng
        for _ in range(count):
            depth = rng.random()
            feet_x = rng.uniform(0.05, 0.95) * w
            feet_y = (FLOOR_Y[0] + depth * (FLOOR_Y[1] - FLOOR_Y[0])) * h
            tall = h * (0.26 + 0.29 * depth)  # the scene's body height at this depth
            body = [feet_x - 0.15 * tall, feet_y - tall, feet_x + 0.15 * tall, feet_y]
            head = [feet_x - 0.08 * tall, feet_y - tall, feet_x + 0.08 * tall, feet_y - 0.8 * tall]
            roles = ["person", "head" if rng.random() < self.noise.bare_head else "helmet"]
            lifetime = int(rng.integers(1, self.noise.false_frames + 1))
            self.ghosts.append((np.array([body, head]), roles, lifetime))


# ------------------------------------------------------------------------------ scores


@dataclass
class Score:
    """Counts of matched alarms (tp), unmatched hits (fp) and missed alarms (fn)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        total = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / total if total else float("nan")

    def __add__(self, other: Score) -> Score:
        return Score(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Report:
    """Scores per rule kind (only the kinds with a rule), and all of them together."""

    scores: dict[str, Score]
    hits: tuple[Hit, ...] = field(repr=False)

    @property
    def overall(self) -> Score:
        return sum(self.scores.values(), Score())


@dataclass
class _Alarm:
    rule_id: int
    subject: int | None  # the person's id in the truth; None for zone-level rules
    first: int  # the window of frames a hit may fall in
    last: int
    matched: bool = False


# ------------------------------------------------------------------------------ the harness


def default_rules(uri: str, *, min_frames: int = 3, cooldown_s: int = 20) -> tuple[RuleSpec, ...]:
    """One rule of each kind on the scene's zones (``zones_for``): no helmet on the floor, no
    one in the danger area, at most 2 in the confined space, no one there for 5 s, the post
    never empty for 3 s. The thresholds are short so a minute of scene holds several alarms."""
    zone = {z.kind: z.id for z in zones_for(scene_from_uri(uri))}
    rules = [
        (zone["ppe_required"], RuleKind.PPE_MISSING, {"require": ["helmet"]}),
        (zone["danger"], RuleKind.INTRUSION, {"allowed_people": 0}),
        (zone["confined_space"], RuleKind.OVERCROWD, {"max_people": 2}),
        (zone["confined_space"], RuleKind.DWELL, {"seconds": 5}),
        (zone["post"], RuleKind.POST_UNSTAFFED, {"min_people": 1, "seconds": 3}),
    ]
    return tuple(
        RuleSpec(
            i, zone_id, str(kind), str(kind), params, cooldown_s=cooldown_s, min_frames=min_frames
        )
        for i, (zone_id, kind, params) in enumerate(rules, start=1)
    )


def evaluate(
    uri: str,
    frames: int,
    rules: Sequence[RuleSpec],
    *,
    noise: Noise | None = None,
    backend: Backend | None = None,
    tolerance_s: float = 1.0,
) -> Report:
    """Run ``frames`` frames of the ``synthetic://`` scene through the pipeline and score its
    hits against the reference alarms (module docstring). ``backend`` (a model) detects on the
    rendered frames instead of the truth; ``noise`` is applied on top of either."""
    scene = scene_from_uri(uri)
    zones = zones_for(scene)
    camera = CameraSpec(1, "accuracy", None, None, None, uri, scene.fps, scene.width,
                        scene.height, {}, zones, tuple(rules), "accuracy")  # fmt: skip
    pipeline = Pipeline(camera, backend)
    noisy = NoisyDetector(noise or Noise(), scene.width, scene.height)
    truths, hits = [], []
    for index in range(frames):
        image, truth = scene.frame(index)
        truths.append(truth)
        detections = pipeline.detect(image) if backend else truth_detections(truth)
        hits += pipeline.rules(noisy(detections), _at(index, scene.fps), index)[1]
    alarms = reference_alarms(truths, Zones.from_specs(zones), rules, scene.fps, tolerance_s)
    return _score(rules, alarms, hits, truths)


def reference_alarms(
    truths: Sequence[Sequence[PersonTruth]],
    zones: Zones,
    rules: Sequence[RuleSpec],
    fps: float,
    tolerance_s: float,
) -> list[_Alarm]:
    """The alarms an ideal observer of the truth raises, each with its window of frames."""
    inside = [zones.trigger(sv.Detections(xyxy=_boxes(t))) for t in truths]
    times = [_at(i, fps) for i in range(len(truths))]
    tol = round(tolerance_s * fps)
    alarms = []
    for rule in rules:
        for subject, holds in _conditions(rule, truths, [f[rule.zone_id] for f in inside]).items():
            for frame, until in _alarm_frames(holds, times, rule):
                alarms.append(_Alarm(rule.id, subject, frame - tol, until + tol))
    return alarms


def _conditions(
    rule: RuleSpec, truths: Sequence[Sequence[PersonTruth]], inside: list[np.ndarray]
) -> dict[int | None, np.ndarray]:
    """Per subject (person id, or None for the zone), whether the rule's condition holds on
    each frame, straight from the truth."""
    unmodelled = [key for key in UNMODELLED if rule.params.get(key) not in NEUTRAL]
    if unmodelled or "vest" in rule.params.get("require", ["helmet"]):
        raise ValueError(f"rule {rule.id}: the reference does not model {unmodelled or 'vests'}")
    count = np.array([int(mask.sum()) for mask in inside])
    if rule.kind == RuleKind.OVERCROWD:
        return {None: count > int(rule.params.get("max_people", 3))}
    if rule.kind == RuleKind.POST_UNSTAFFED:
        return {None: count < int(rule.params.get("min_people", 1))}
    ids = sorted({p.id for truth in truths for p in truth})
    holds = {pid: np.zeros(len(truths), dtype=bool) for pid in ids}
    allowed = int(rule.params.get("allowed_people", 0))
    entered: dict[int, int] = {}  # person id → frame they entered the zone (intrusion order)
    for i, (truth, mask) in enumerate(zip(truths, inside, strict=True)):
        present = [p for p, is_in in zip(truth, mask, strict=True) if is_in]
        entered = {p.id: entered.get(p.id, i) for p in present}
        if rule.kind == RuleKind.INTRUSION:
            present = sorted(present, key=lambda p: (entered[p.id], p.id))[allowed:]
        for person in present:
            holds[person.id][i] = rule.kind != RuleKind.PPE_MISSING or not person.helmet
    return holds


def _alarm_frames(
    holds: np.ndarray, times: list[datetime], rule: RuleSpec
) -> list[tuple[int, int]]:
    """The frames an alarm is due on (the condition held ``min_frames`` frames and its hold
    time, outside the cooldown of the previous alarm), each with the frame its window ends on:
    the next alarm's, or the last of its run of frames where the condition holds."""
    hold_s = float(rule.params.get("seconds", 300 if rule.kind == RuleKind.DWELL else 120))
    hold_s = hold_s if rule.kind in (RuleKind.DWELL, RuleKind.POST_UNSTAFFED) else 0.0
    due: list[tuple[int, int]] = []
    start = None
    for i, now in enumerate(holds):
        start = (start if start is not None else i) if now else None
        if start is None or i - start + 1 < rule.min_frames:
            continue
        held = (times[i] - times[start]).total_seconds() >= hold_s
        cool = not due or (times[i] - times[due[-1][0]]).total_seconds() >= rule.cooldown_s
        if held and cool:
            if due and due[-1][1] >= start:  # the previous alarm's run goes on: it ends here
                due[-1] = (due[-1][0], i)
            end = i
            while end + 1 < len(holds) and holds[end + 1]:
                end += 1
            due.append((i, end))
    return due


def _score(
    rules: Sequence[RuleSpec],
    alarms: list[_Alarm],
    hits: list[Hit],
    truths: Sequence[Sequence[PersonTruth]],
) -> Report:
    kinds = {rule.id: str(rule.kind) for rule in rules}
    scores = {kind: Score() for kind in kinds.values()}
    for hit in hits:
        subject = None if hit.kind in ZONE_LEVEL else _who(hit, truths[hit.frame_index])
        match = next(
            (a for a in alarms if a.rule_id == hit.rule_id and not a.matched
             and a.subject == subject and a.first <= hit.frame_index <= a.last),
            None,
        )  # fmt: skip
        if match is None:
            scores[hit.kind].fp += 1
        else:
            match.matched = True
            scores[hit.kind].tp += 1
    for alarm in alarms:
        scores[kinds[alarm.rule_id]].fn += not alarm.matched
    return Report(scores, tuple(hits))


def _who(hit: Hit, truth: Sequence[PersonTruth]) -> int | None:
    """The person whose true box the hit's box overlaps best, if it overlaps enough."""
    if not truth or not hit.boxes:
        return None
    iou = sv.box_iou_batch(np.array(hit.boxes[:1]), _boxes(truth))[0]
    best = int(np.argmax(iou))
    return truth[best].id if iou[best] >= MIN_IOU else None


def _boxes(truth: Sequence[PersonTruth]) -> np.ndarray:
    return np.array([p.box for p in truth], dtype=float).reshape(-1, 4)


def _at(index: int, fps: float) -> datetime:
    return T0 + timedelta(seconds=index / fps)
