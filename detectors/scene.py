"""A deterministic synthetic plant scene: the demo camera, the test fixture and the training set.

Every frame is a pure function of ``(uri parameters, frame index)``: a static background (floor,
painted lanes, equipment, a yellow-black hatched danger area) rendered once, and people drawn on
top at positions computed from their itineraries. People walk, dwell at waypoints (one of them
at a staffed post), walk together as a small group (crowding), cross the danger area, and some
wear no hard hat or no high-vis vest. The ground truth per frame says where each person is.

Example:
    >>> scene = scene_from_uri("synthetic://production?seed=3&people=4&width=320&height=180")
    >>> frame, truth = scene.frame(0)
    >>> frame.shape, len(truth)
    ((180, 320, 3), 4)
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from detectors.layout import (
    FLOOR_Y,
    layout_name,
    layout_zones,
    parse_uri,
    place,
)
from detectors.types import ZoneSpec

Box = tuple[int, int, int, int]
Point = tuple[float, float]

# BGR. floor, wall, lane paint, equipment, equipment top
PALETTES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "production": ((118, 122, 120), (150, 140, 125), (0, 200, 240), (140, 110, 70), (175, 150, 99)),
    "storage": ((150, 155, 160), (170, 170, 160), (235, 235, 235), (40, 110, 210), (70, 150, 235)),
    "office": ((120, 100, 85), (215, 215, 210), (190, 190, 190), (60, 95, 140), (90, 130, 180)),
    "confined_space": ((80, 85, 90), (105, 110, 110), (0, 190, 230), (95, 100, 99), (130, 135, 99)),
    "utility": ((105, 115, 110), (140, 150, 145), (0, 200, 240), (70, 120, 60), (100, 160, 90)),
    "outdoor": ((90, 92, 95), (190, 170, 140), (240, 240, 240), (60, 90, 120), (90, 130, 160)),
}  # fmt: skip
HELMET_COLOURS = ((0, 215, 255), (245, 245, 245), (40, 40, 220), (200, 90, 20), (0, 140, 255))
VEST_COLOURS = ((0, 140, 255), (40, 235, 200), (0, 200, 255))
SHIRT_COLOURS = ((120, 70, 40), (90, 90, 90), (60, 100, 60), (140, 120, 100), (50, 50, 120))
PANTS_COLOURS = ((60, 45, 35), (40, 40, 40), (110, 80, 50), (70, 70, 80))
SKIN_COLOURS = ((150, 185, 225), (120, 160, 205), (90, 125, 170), (70, 95, 135))
HAIR_COLOURS = ((20, 20, 25), (30, 45, 70), (60, 60, 60))


@dataclass(frozen=True)
class PersonTruth:
    """Where one person is in one frame, and what they wear."""

    id: int
    box: Box  # whole body, xyxy pixels, inside the frame
    head: Box  # head including the hard hat when worn
    helmet: bool
    vest: bool


def scene_from_uri(uri: str) -> SyntheticScene:
    """The scene a ``synthetic://`` camera plays (see :func:`parse_uri`)."""
    p = parse_uri(uri)
    return SyntheticScene(p.seed, p.width, p.height, p.fps, people=p.people, kind=p.kind,
                          noise=p.noise)  # fmt: skip


@dataclass
class _Person:
    id: int
    helmet: bool
    vest: bool
    colours: dict[str, tuple[int, int, int]]
    legs: list[tuple[Point, Point, float, float]]  # start, end (px), walk s, dwell s at end
    starts: list[float] = field(default_factory=list)  # cumulative start time of each leg
    period: float = 0.0
    phase: float = 0.0
    scale: float = 1.0
    stride: float = 9.0  # pixels walked per radian of the walk cycle

    def __post_init__(self) -> None:
        t = 0.0
        for _a, _b, walk, dwell in self.legs:
            self.starts.append(t)
            t += walk + dwell
        self.period = t

    def at(self, t: float) -> tuple[float, float, float, bool]:
        """Foot x, y, walk-cycle angle and whether walking, at scene time ``t``."""
        t = (t + self.phase) % self.period
        i = bisect.bisect_right(self.starts, t) - 1
        (ax, ay), (bx, by), walk, _dwell = self.legs[i]
        dt = t - self.starts[i]
        if dt >= walk:
            return bx, by, 0.0, False
        f = dt / walk
        x, y = ax + (bx - ax) * f, ay + (by - ay) * f
        return x, y, math.hypot(x - ax, y - ay) / self.stride, True


class SyntheticScene:
    """A looping plant scene with ``people`` workers; ``frame(i)`` is random access.

    Args:
        seed: everything (layout jitter, people, paths) follows from it.
        width, height: frame size in pixels.
        fps: frames per second of scene time (walking speed is in pixels per second).
        people: number of workers; person 0 staffs the post, 1-3 walk as a group.
        kind: background layout and palette, one of ``detectors.layout.KINDS`` (others:
            production's).
        noise: standard deviation of per-frame sensor noise (0: none, fastest).
        scale: multiplies everyone's height (bigger people for training crops).
    """

    def __init__(self, seed: int = 0, width: int = 640, height: int = 360, fps: float = 10.0, *,
                 people: int = 6, kind: str = "production", noise: float = 0.0,
                 scale: float = 1.0) -> None:  # fmt: skip
        self.seed, self.width, self.height, self.fps = seed, width, height, fps
        self.kind, self.noise, self.scale = kind, noise, scale
        self.layout = layout_name(kind)
        rng = random.Random(f"{seed}:{self.layout}")
        self.geometry = place(rng, width, height, self.layout)
        self.danger, self.confined = self.geometry.danger, self.geometry.confined
        self.post, self.gather = self.geometry.post, self.geometry.gather
        self.background = _background(self, rng)
        self.people = [self._person(i, rng) for i in range(people)]
        if people >= 2:  # the flags must vary within a scene: someone with, someone without
            self.people[1].helmet, self.people[-1].vest = False, False
            self.people[0].helmet, self.people[0].vest = True, True

    def _person(self, i: int, rng: random.Random) -> _Person:
        w, h = self.width, self.height
        x0, x1, y0, y1 = 0.10 * w, 0.90 * w, FLOOR_Y[0] * h, FLOOR_Y[1] * h

        def floor() -> Point:
            return rng.uniform(x0, x1), rng.uniform(y0, y1)

        def near(p: Point, r: float) -> Point:
            return (min(max(p[0] + rng.uniform(-r, r) * w, x0), x1),
                    min(max(p[1] + rng.uniform(-r, r) * h / 2, y0), y1))  # fmt: skip

        danger = tuple(np.mean(self.danger, axis=0))
        if i == 0:  # the guard: long stays at the post, short rounds
            stops = [(near(self.post, 0.01), rng.uniform(15, 30)), (floor(), 2.0), (floor(), 1.0)]
        elif i <= 3:  # the group: the same stops, slightly apart, walking together
            g = random.Random(f"{self.seed}:group")
            route = [(self.gather, 8.0), (danger, 3.0), ((g.uniform(x0, x1), y0), 1.0)]
            stops = [(near(p, 0.03), d) for p, d in route]
            timing, speed = route, g.uniform(0.15, 0.25) * h  # same timing keeps them together
        else:
            pois = [danger, self.gather, floor(), floor(), floor()]
            stops = [(near(rng.choice(pois), 0.05), rng.choice((0, 0, 1, 3, 6))) for _ in range(4)]
        if not 1 <= i <= 3:
            timing, speed = stops, rng.uniform(0.15, 0.25) * h  # px per second
        legs = []
        pairs = zip(stops[-1:] + stops[:-1], stops, timing[-1:] + timing[:-1], timing, strict=True)
        for (a, _), (b, dwell), (ta, _), (tb, _) in pairs:
            legs.append((a, b, max(math.dist(ta, tb) / speed, 0.5), float(dwell)))
        c = {
            "helmet": rng.choice(HELMET_COLOURS), "vest": rng.choice(VEST_COLOURS),
            "shirt": rng.choice(SHIRT_COLOURS), "pants": rng.choice(PANTS_COLOURS),
            "skin": rng.choice(SKIN_COLOURS), "hair": rng.choice(HAIR_COLOURS),
        }  # fmt: skip
        person = _Person(i, rng.random() > 0.3, rng.random() > 0.35, c, legs,
                         scale=self.scale * rng.uniform(0.9, 1.1), stride=0.03 * h)  # fmt: skip
        person.phase = rng.uniform(-0.4, 0.4) if 1 <= i <= 3 else rng.uniform(0, person.period)
        return person

    def frame(self, index: int) -> tuple[np.ndarray, list[PersonTruth]]:
        """The BGR frame and ground truth at ``index`` (a pure function of it)."""
        img = self.background.copy()
        t = index / self.fps
        placed = [(p, *p.at(t)) for p in self.people]
        placed.sort(key=lambda item: item[2])  # farther (higher up) first
        truth = [_draw_person(img, p, x, y, a, moving) for p, x, y, a, moving in placed]
        if self.noise > 0:
            rng = np.random.default_rng([self.seed, index])
            grain = rng.normal(0, self.noise, img.shape[:2]).astype(np.float32)
            img = cv2.add(img.astype(np.float32), cv2.merge([grain] * 3))
            img = np.clip(img, 0, 255).astype(np.uint8)
        return img, sorted(truth, key=lambda p: p.id)

    def frames(
        self, n: int | None = None, start: int = 0
    ) -> Iterator[tuple[int, np.ndarray, list[PersonTruth]]]:
        """Yield ``(index, frame, truth)`` from ``start``; forever when ``n`` is None."""
        i = start
        while n is None or i < start + n:
            img, truth = self.frame(i)
            yield i, img, truth
            i += 1


def zones_for(scene: SyntheticScene) -> tuple[ZoneSpec, ...]:
    """Zones matching the scene's layout (``detectors.layout.layout_zones``)."""
    return layout_zones(scene.geometry)


def write_video(path: str | Path, scene: SyntheticScene, n_frames: int) -> Path:
    """Write ``n_frames`` of ``scene`` to an ``mp4v`` video file (OpenCV) and return its path."""
    path = Path(path)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), scene.fps,
                          (scene.width, scene.height))  # fmt: skip
    if not out.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    try:
        for _i, img, _truth in scene.frames(n_frames):
            out.write(img)
    finally:
        out.release()
    return path


def _background(scene: SyntheticScene, rng: random.Random) -> np.ndarray:
    """Wall, floor with grain and joints, lanes, equipment and the hatched danger area."""
    w, h = scene.width, scene.height
    floor, wall, lane, body, top = PALETTES[scene.layout]
    img = np.empty((h, w, 3), np.uint8)
    horizon = int(0.30 * h)
    img[:horizon], img[horizon:] = wall, floor
    grain = np.random.default_rng(scene.seed).normal(0, 5, (h, w)).astype(np.int16)
    img = np.clip(img.astype(np.int16) + grain[..., None], 0, 255).astype(np.uint8)
    t = max(1, h // 240)
    for k in range(1, 6):  # floor joints, converging a little towards the horizon
        x = k * w // 6
        cv2.line(img, (x + (w // 2 - x) // 4, horizon), (x, h), tuple(c - 12 for c in floor), t)
    for fy in (0.50, 0.95):  # painted walkway edges
        cv2.line(img, (0, int(fy * h)), (w, int(fy * h)), lane, max(2, h // 90))
    for _ in range(rng.randint(3, 5)):  # equipment blocks against the wall, with a lit top face
        bw, bh = rng.uniform(0.08, 0.16) * w, rng.uniform(0.10, 0.22) * h
        x = rng.uniform(0.02, 0.98) * w - bw / 2
        y = horizon + rng.uniform(0.0, 0.06) * h
        cv2.rectangle(img, (int(x), int(y - bh)), (int(x + bw), int(y)), body, -1)
        cv2.rectangle(img, (int(x), int(y - bh)), (int(x + bw), int(y - bh * 0.85)), top, -1)
        cv2.rectangle(img, (int(x), int(y - bh)), (int(x + bw), int(y)), (40, 40, 40), t)
    if scene.layout == "confined_space":  # a tank with its manhole where the group gathers
        gx, gy = scene.gather
        cv2.ellipse(img, (int(gx), int(gy)), (int(0.12 * w), int(0.05 * h)), 0, 0, 360,
                    (45, 45, 50), -1)  # fmt: skip
    hatch = np.zeros((h, w, 3), np.uint8)
    stripe = max(4, h // 36)
    yy, xx = np.mgrid[0:h, 0:w]
    hatch[((xx + yy) // stripe) % 2 == 0] = (0, 210, 250)
    hatch[((xx + yy) // stripe) % 2 == 1] = (25, 25, 25)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.array(scene.danger, np.int32)], 255)
    img[mask > 0] = hatch[mask > 0]
    cv2.polylines(img, [np.array(scene.danger, np.int32)], True, (0, 210, 250), max(2, t * 2))
    return img


def _draw_person(img: np.ndarray, p: _Person, fx: float, fy: float, angle: float,
                 moving: bool) -> PersonTruth:  # fmt: skip
    """Draw one worker standing at foot point (fx, fy) and return their truth."""
    h, w = img.shape[:2]
    depth = (fy / h - FLOOR_Y[0]) / (FLOOR_Y[1] - FLOOR_Y[0])
    u = h * (0.26 + 0.29 * depth) * p.scale / 100  # one hundredth of the body height
    c = p.colours
    swing = math.sin(angle) if moving else 0.0
    r = 7.5 * u
    top = fy - 100 * u
    cx, cy = fx, top + r
    ys, yh = top + 2 * r + 1 * u, fy - 46 * u
    aa = cv2.LINE_AA

    def pt(x: float, y: float) -> tuple[int, int]:
        return round(x), round(y)

    def th(v: float) -> int:
        return max(1, round(v))

    xs = []
    for side in (-1, 1):  # legs and shoes
        foot = (fx + side * 5 * u + side * swing * 12 * u, fy - 2 * u)
        cv2.line(img, pt(fx + side * 4 * u, yh), pt(*foot), c["pants"], th(8 * u), aa)
        cv2.ellipse(img, pt(foot[0], fy - 1.5 * u), (th(4.5 * u), th(2 * u)), 0, 0, 360,
                    (25, 25, 25), -1, aa)  # fmt: skip
        xs += [foot[0] - 4.5 * u, foot[0] + 4.5 * u]
    torso = np.array([pt(fx - 11 * u, ys), pt(fx + 11 * u, ys), pt(fx + 8 * u, yh + 3 * u),
                      pt(fx - 8 * u, yh + 3 * u)], np.int32)  # fmt: skip
    cv2.fillConvexPoly(img, torso, c["shirt"], aa)
    if p.vest:
        vest = np.array([pt(fx - 10 * u, ys + 2 * u), pt(fx + 10 * u, ys + 2 * u),
                         pt(fx + 8 * u, yh), pt(fx - 8 * u, yh)], np.int32)  # fmt: skip
        cv2.fillConvexPoly(img, vest, c["vest"], aa)
        for f in (0.45, 0.75):
            yb = ys + (yh - ys) * f
            cv2.line(img, pt(fx - 9 * u, yb), pt(fx + 9 * u, yb), (215, 215, 215), th(2.2 * u), aa)
    for side in (-1, 1):  # arms swing against the legs
        hand = (fx + side * 14 * u - side * swing * 9 * u, ys + 30 * u)
        cv2.line(img, pt(fx + side * 9.5 * u, ys + 2 * u), pt(*hand), c["shirt"], th(5.5 * u), aa)
        cv2.circle(img, pt(*hand), th(2.6 * u), c["skin"], -1, aa)
        xs += [hand[0] - 2.6 * u, hand[0] + 2.6 * u, fx + side * 12 * u]
    cv2.line(img, pt(cx, cy + r * 0.8), pt(cx, ys + u), c["skin"], th(4 * u), aa)  # neck
    cv2.circle(img, pt(cx, cy), th(r), c["skin"], -1, aa)
    if p.helmet:
        dome_top = cy - 1.2 * u - (r + 1.8 * u)
        cv2.ellipse(img, pt(cx, cy - 1.2 * u), (th(r + 1.8 * u), th(r + 1.8 * u)), 0, 180, 360,
                    c["helmet"], -1, aa)  # fmt: skip
        cv2.line(img, pt(cx - r - 3.5 * u, cy - 1.2 * u), pt(cx + r + 3.5 * u, cy - 1.2 * u),
                 c["helmet"], th(2 * u), aa)  # fmt: skip
        head = (cx - r - 3.5 * u, dome_top, cx + r + 3.5 * u, cy + r)
    else:
        cv2.ellipse(img, pt(cx, cy - 0.2 * r), (th(r), th(r * 0.85)), 0, 180, 360, c["hair"], -1,
                    aa)  # fmt: skip
        head = (cx - r, top, cx + r, cy + r)
    body = (min(*xs, head[0]), head[1], max(*xs, head[2]), fy)
    return PersonTruth(p.id, _box(body, w, h), _box(head, w, h), p.helmet, p.vest)


def _box(b: tuple[float, float, float, float], w: int, h: int) -> Box:
    x1, y1, x2, y2 = b
    return (min(max(math.floor(x1), 0), w - 1), min(max(math.floor(y1), 0), h - 1),
            min(max(math.ceil(x2), 1), w), min(max(math.ceil(y2), 1), h))  # fmt: skip
