"""Geometry on the floor plan (metres, origin bottom-left, y up): point in polygon, and a
deterministic place for a marker that has no position of its own.

``spot`` takes point number ``key`` of the R2 low-discrepancy sequence (Roberts, 2018) inside
the polygon's inset bounding box, skipping candidates that fall outside the polygon. The same
key always lands on the same spot, whatever else is on the map, and consecutive keys (row ids)
spread evenly over the area instead of piling up at its centre.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Polygon = Sequence[Sequence[float]]
#: R2 sequence constants: 1/g and 1/g² with g the plastic number.
R2 = (0.7548776662466927, 0.5698402909980532)
INSET = 0.08  # keep markers off the area outline
MAX_TRIES = 64
STRIDE = 7919  # a prime: a retry jumps far from the rejected candidate


def clean_polygon(raw: Any) -> list[list[float]]:
    """Stored polygons are free JSON: keep well-formed [x, y] pairs, as floats."""
    pts = [p for p in (raw or []) if isinstance(p, list | tuple) and len(p) >= 2]
    try:
        return [[float(p[0]), float(p[1])] for p in pts]
    except (TypeError, ValueError):
        return []


def inside(polygon: Polygon, x: float, y: float) -> bool:
    """Even-odd ray casting; a point on an edge may go either way (markers are inset)."""
    hit = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i][0], polygon[i][1]
        x2, y2 = polygon[(i + 1) % n][0], polygon[(i + 1) % n][1]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


Box = tuple[float, float, float, float]


def box(polygon: Polygon, inset: float = INSET) -> Box:
    """(x0, y0, width, height) of the bounding box shrunk by ``inset`` on each side."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    return min(xs) + w * inset, min(ys) + h * inset, w * (1 - 2 * inset), h * (1 - 2 * inset)


def spot(
    polygon: Polygon, key: int, phase: float = 0.5, inset_box: Box | None = None
) -> tuple[float | None, float | None]:
    """A deterministic position for row ``key`` inside ``polygon``; (None, None) if degenerate.
    ``inset_box`` (from ``box``) saves recomputing it when many keys share one polygon."""
    if len(polygon) < 3:
        return (None, None)
    x0, y0, w, h = inset_box or box(polygon)
    for k in range(MAX_TRIES):
        n = key + k * STRIDE
        x = x0 + ((phase + n * R2[0]) % 1.0) * w
        y = y0 + ((phase + n * R2[1]) % 1.0) * h
        if inside(polygon, x, y):
            return (round(x, 2), round(y, 2))
    return label_point(polygon)


def label_point(polygon: Polygon) -> tuple[float | None, float | None]:
    """Where to write an area's name: the box centre when inside, else the first inside cell
    of a 10 × 10 grid (an L-shaped hall's centre may lie outside it)."""
    if len(polygon) < 3:
        return (None, None)
    x0, y0, w, h = box(polygon, 0.0)
    cells = [(i + 0.5) / 10 for i in range(10)]
    order = sorted(
        ((u, v) for u in cells for v in cells), key=lambda c: abs(c[0] - 0.5) + abs(c[1] - 0.5)
    )
    for u, v in order:
        if inside(polygon, x0 + u * w, y0 + v * h):
            return (round(x0 + u * w, 2), round(y0 + v * h, 2))
    return (round(x0 + w / 2, 2), round(y0 + h / 2, 2))


def _orient(p: Sequence[float], q: Sequence[float], r: Sequence[float]) -> float:
    return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])


def _cross(a: Sequence[float], b: Sequence[float], c: Sequence[float], d: Sequence[float]) -> bool:
    """Do segments ab and cd properly cross (not merely touch or run along each other)?"""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    return o1 * o2 < 0 and o3 * o4 < 0


def polygons_intersect(p: Polygon, q: Polygon) -> bool:
    """Do two areas share ground? Crossing edges, or one lying inside the other. Neighbours
    that only share a wall do not: work on either side of it is not simultaneous operation."""
    if len(p) < 3 or len(q) < 3:
        return False
    for i in range(len(p)):
        a, b = p[i], p[(i + 1) % len(p)]
        for j in range(len(q)):
            if _cross(a, b, q[j], q[(j + 1) % len(q)]):
                return True
    px, py = label_point(p)
    qx, qy = label_point(q)
    return (px is not None and inside(q, px, py)) or (qx is not None and inside(p, qx, qy))
