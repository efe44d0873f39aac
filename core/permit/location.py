"""Location check (作业位置校验): does a permit's recorded position lie inside the area it
declares? Shared by the GIS permit view and the permit statistics."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.geometry import clean_polygon, inside


class LocationCheck(StrEnum):
    OK = "ok"  # 正常: inside the declared area
    OUTSIDE = "outside"  # 异常: recorded outside the declared area
    UNKNOWN = "unknown"  # no position, or the area has no outline


def location_check(polygon: Any, x: float | None, y: float | None) -> LocationCheck:
    shape = clean_polygon(polygon)
    if x is None or y is None or len(shape) < 3:
        return LocationCheck.UNKNOWN
    return LocationCheck.OK if inside(shape, float(x), float(y)) else LocationCheck.OUTSIDE
