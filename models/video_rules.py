"""Checks and defaults for video configuration, shared by forms, imports, the demo and the
detector, so a zone or rule the detector would reject never reaches the database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_WEIGHTS = "ppe_synth_yolo11n.onnx"  # the shipped demo model (docs/detector.md)
DEFAULT_CONFIDENCE = 0.5
DEFAULT_FAMILY = "coco"


def source_type(uri: str) -> str:
    """rtsp / synthetic / webcam / file: how the detector opens ``uri``."""
    text = uri.strip()
    lower = text.lower()
    if lower.startswith(("rtsp://", "rtsps://", "rtmp://", "http://", "https://")):
        return "stream"
    if lower.startswith("synthetic://"):
        return "synthetic"
    if text.isdigit():
        return "webcam"
    return "file"


def polygon_problem(polygon: Any, width: int, height: int) -> str | None:
    """Why ``polygon`` is not a usable zone in a ``width`` × ``height`` frame, or None.

    A zone needs at least three [x, y] vertices inside the frame and a non-zero area.
    """
    if not isinstance(polygon, list) or len(polygon) < 3:
        return "validation.video.polygon_points"
    points: list[tuple[float, float]] = []
    for p in polygon:
        if not (isinstance(p, list | tuple) and len(p) == 2):
            return "validation.video.polygon_points"
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in p):
            return "validation.video.polygon_points"
        if not (0 <= p[0] <= width and 0 <= p[1] <= height):
            return "validation.video.polygon_outside"
        points.append((float(p[0]), float(p[1])))
    if polygon_area(points) <= 0:
        return "validation.video.polygon_points"
    return None


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Shoelace area (absolute), in square pixels."""
    twice = sum(
        x1 * y2 - x2 * y1
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    )
    return abs(twice) / 2


def rule_params(params: dict[str, Any] | None, schema: dict[str, Any]) -> tuple[dict, list[str]]:
    """Fill defaults from the kind's schema and list the parameters that are missing or of
    the wrong type. ``schema`` maps name → {"type": "int|float|bool|list", "default": ...}."""
    out = dict(params or {})
    bad: list[str] = []
    kinds = {"int": int, "float": int | float, "bool": bool, "list": list, "str": str}
    for name, spec in schema.items():
        if name not in out or out[name] is None:
            if "default" in spec:
                out[name] = spec["default"]
            else:
                bad.append(name)
                continue
        want = kinds.get(spec.get("type", ""), object)
        value = out[name]
        if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            bad.append(name)
    return out, bad


def default_detector_config(
    rows: Iterable[tuple[str, str, str]], family: str = DEFAULT_FAMILY
) -> dict[str, Any]:
    """A camera's model configuration from ``(model_family, class_name, role)`` rows: the
    default weights and the class → role map of ``family``."""
    classes = {name: role for fam, name, role in rows if fam == family}
    return {
        "weights": DEFAULT_WEIGHTS,
        "family": family,
        "confidence": DEFAULT_CONFIDENCE,
        "classes": classes,
    }


def false_alarm_share(confirmed: int, false_alarms: int) -> float:
    """False alarms among reviewed violations (the seeds' claim: ≤ 3 %)."""
    reviewed = confirmed + false_alarms
    return false_alarms / reviewed if reviewed else 0.0
