"""Where things are in a synthetic scene: the danger area, the guard's post, the group's
meeting point (a confined-space entrance) and the floor — as fractions of the frame, jittered
by the seed.

Pure Python (no OpenCV or NumPy), so the demo generator can give its ``synthetic://`` cameras
zones that match what the detector will see without installing the detector stack.

Example:
    >>> zones = layout_zones(scene_layout("synthetic://production?seed=3"))
    >>> [z.kind for z in zones]
    ['danger', 'post', 'confined_space', 'ppe_required']
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from detectors.types import ZoneSpec

Point = tuple[float, float]

KINDS = ("production", "storage", "office", "confined_space", "utility", "outdoor")
FLOOR_Y = (0.45, 0.97)  # feet stay in this band of the frame height (the visible floor)
PARAMS = {"seed": int, "people": int, "width": int, "height": int, "fps": float, "noise": float}


@dataclass(frozen=True)
class Layout:
    """A scene's fixed geometry in pixels of a ``width`` x ``height`` frame."""

    width: int
    height: int
    danger: list[tuple[int, int]]  # the hatched area
    post: Point  # where the guard stands
    gather: Point  # where the group meets
    confined: list[tuple[int, int]]  # around the meeting point


@dataclass(frozen=True)
class SceneParams:
    """What a ``synthetic://`` URI says."""

    kind: str = "production"
    seed: int = 0
    people: int = 6
    width: int = 640
    height: int = 360
    fps: float = 10.0
    noise: float = 0.0


def parse_uri(uri: str) -> SceneParams:
    """Read ``synthetic://<kind>?seed=N&people=M&width=W&height=H&fps=F[&noise=S]``.

    An empty or unknown kind keeps its name but gets the production layout (``demo1`` works);
    an unknown or malformed parameter raises ``ValueError`` so a typo is not silently ignored.

    Example:
        >>> parse_uri("synthetic://storage?seed=2&people=3").people
        3
    """
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() != "synthetic":
        raise ValueError(f"not a synthetic:// URI: {uri!r}")
    values: dict[str, object] = {"kind": (parts.netloc + parts.path).strip("/") or "production"}
    for key, raw in parse_qsl(parts.query, keep_blank_values=True):
        if key not in PARAMS:
            raise ValueError(f"unknown synthetic scene parameter {key!r} in {uri!r}")
        try:
            values[key] = PARAMS[key](raw)
        except ValueError:
            raise ValueError(f"bad value for {key!r} in {uri!r}: {raw!r}") from None
    params = SceneParams(**values)  # type: ignore[arg-type]
    if params.width < 64 or params.height < 64 or params.people < 0 or params.fps <= 0:
        raise ValueError(f"synthetic scene too small or empty: {uri!r}")
    return params


def layout_name(kind: str) -> str:
    """The layout a scene kind gets (unknown kinds, e.g. ``demo1``, get production's)."""
    return kind if kind in KINDS else "production"


def place(rng: random.Random, width: int, height: int, layout: str) -> Layout:
    """Draw the layout from ``rng`` (the scene's own generator, which goes on to draw the
    background and the people, so the order of draws is part of the scene)."""
    w, h = width, height
    jx, jy = rng.uniform(-0.04, 0.04), rng.uniform(-0.03, 0.03)
    danger = _px([(0.58 + jx, 0.56 + jy), (0.86 + jx, 0.56 + jy),
                  (0.90 + jx, 0.76 + jy), (0.60 + jx, 0.76 + jy)], w, h)  # fmt: skip
    gx, gy = (0.42 - jx), (0.84 - jy)
    pit = 0.30 if layout == "confined_space" else 0.10
    confined = _px([(gx - pit, gy - pit / 2.5), (gx + pit, gy - pit / 2.5),
                    (gx + pit, min(gy + pit / 2.5, 0.99)),
                    (gx - pit, min(gy + pit / 2.5, 0.99))], w, h)  # fmt: skip
    return Layout(w, h, danger, ((0.18 + jx) * w, (0.58 + jy) * h), (gx * w, gy * h), confined)


def scene_layout(uri: str) -> Layout:
    """The layout of the scene a ``synthetic://`` camera plays (same seed → same zones)."""
    p = parse_uri(uri)
    layout = layout_name(p.kind)
    return place(random.Random(f"{p.seed}:{layout}"), p.width, p.height, layout)


def layout_zones(layout: Layout) -> tuple[ZoneSpec, ...]:
    """Zones matching the layout, for the demo and tests (ids 1..4, pixel polygons).

    The danger zone is the hatched area; the post zone surrounds the guard's spot; the
    confined space is where the group meets; PPE is required on the whole floor.
    """
    w, h = layout.width, layout.height
    px, py = layout.post
    r = 0.07 * w
    top = int(FLOOR_Y[0] * h * 0.9)
    floor = [(0, top), (w, top), (w, h), (0, h)]
    post = [(px - r, py - r / 2), (px + r, py - r / 2), (px + r, py + r / 2), (px - r, py + r / 2)]
    raw = [("danger area", "danger", layout.danger), ("post", "post", post),
           ("confined space", "confined_space", layout.confined),
           ("production floor", "ppe_required", floor)]  # fmt: skip
    return tuple(
        ZoneSpec(id=i, name=name, kind=kind, polygon=tuple(_clip(p, w, h) for p in poly))
        for i, (name, kind, poly) in enumerate(raw, start=1)
    )


def _px(points: list[Point], w: int, h: int) -> list[tuple[int, int]]:
    return [(round(x * w), round(y * h)) for x, y in points]


def _clip(p: Point, w: int, h: int) -> tuple[int, int]:
    return min(max(round(p[0]), 0), w), min(max(round(p[1]), 0), h)
