"""Zones drawn on a camera snapshot (区域绘制): turn a box or lasso selection on the picture into
a polygon in the camera's pixels (the picture itself comes from ``detectors.sources``).

The selection arrives in Plotly's data coordinates (x right, y down because the page flips the
axis to match the image); polygons are clipped to the frame, rounded to whole pixels and
thinned to at most ``MAX_VERTICES`` so a freehand lasso stays editable as a vertex table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MAX_VERTICES = 24
GRID_POINTS = 1600  # tappable points over the picture: selections need data points under them


def _clip(x: float, y: float, width: int, height: int) -> list[int]:
    return [round(min(max(x, 0), width)), round(min(max(y, 0), height))]


def _thin(points: list[list[int]], limit: int = MAX_VERTICES) -> list[list[int]]:
    """Every n-th vertex of a long lasso path, without repeats."""
    if len(points) > limit:
        step = math.ceil(len(points) / limit)
        points = points[::step]
    out: list[list[int]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def polygon_from_selection(selection: Any, width: int, height: int) -> list[list[int]] | None:
    """The last box or lasso of a ``st.plotly_chart`` selection as a polygon, or None."""
    if not selection:
        return None
    lassos = selection.get("lasso") or []
    boxes = selection.get("box") or []
    if lassos:
        last = lassos[-1]
        path = [_clip(x, y, width, height) for x, y in zip(last["x"], last["y"], strict=False)]
        polygon = _thin(path)
        return polygon if len(polygon) >= 3 else None
    if boxes:
        last = boxes[-1]
        (x0, x1), (y0, y1) = sorted(last["x"][:2]), sorted(last["y"][:2])
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        polygon = [_clip(x, y, width, height) for x, y in corners]
        return polygon if len({tuple(p) for p in polygon}) == 4 else None
    return None


def grid(width: int, height: int, count: int = GRID_POINTS) -> tuple[list[int], list[int]]:
    """An even grid of about ``count`` points over the frame."""
    step = max(1, int(math.sqrt(width * height / count)))
    xs, ys = [], []
    for y in range(step // 2, height, step):
        for x in range(step // 2, width, step):
            xs.append(x)
            ys.append(y)
    return xs, ys


def parse_vertices(rows: Sequence[dict[str, Any]]) -> list[list[int]]:
    """The vertex-table fallback: rows of {x, y}; blank rows are skipped."""
    out = []
    for row in rows:
        x, y = row.get("x"), row.get("y")
        if x is None or y is None or (isinstance(x, float) and math.isnan(x)):
            continue
        out.append([round(float(x)), round(float(y))])
    return out
