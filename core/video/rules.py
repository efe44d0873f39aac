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


def hours_problem(hours: Any) -> bool:
    """Whether ``hours`` is not a list of ``[start, end]`` hour pairs within 0–24 (``[22, 6]``
    wraps past midnight; the rules read them with ``detectors.rules.in_hours``)."""
    if not isinstance(hours, list):
        return True
    for pair in hours:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            return True
        for hour in pair:
            if isinstance(hour, bool) or not isinstance(hour, int | float) or not 0 <= hour <= 24:
                return True
        if pair[0] == pair[1]:
            return True
    return False


def parse_hours(text: str) -> list[list[float]]:
    """Hour windows typed as ``8-17, 22-6`` (also ``8:30-17``) → ``[[8, 17], [22, 6]]``;
    ``ValueError`` when a window cannot be read or lies outside 0–24.

    Example:
        >>> parse_hours("8-17, 22:30-6")
        [[8, 17], [22.5, 6]]
    """
    windows: list[list[float]] = []
    for part in text.replace("，", ",").replace("－", "-").replace("~", "-").split(","):
        if not part.strip():
            continue
        bounds = part.split("-")
        if len(bounds) != 2:
            raise ValueError(part.strip())
        windows.append([_hour(b) for b in bounds])
    if hours_problem(windows):
        raise ValueError(text)
    return windows


def _hour(text: str) -> float:
    hour, _, minute = text.strip().partition(":")
    if minute and not 0 <= int(minute) < 60:
        raise ValueError(text)
    value = int(hour) + (int(minute) / 60 if minute else 0)
    return int(value) if value == int(value) else round(value, 4)


def format_hours(hours: Any) -> str:
    """``[[8, 17], [22.5, 6]]`` → ``8-17, 22:30-6``: how the forms show hour windows."""
    return ", ".join("-".join(_clock(h) for h in pair) for pair in hours or [])


def _clock(hour: float) -> str:
    whole = int(hour)
    minute = round((hour - whole) * 60)
    return f"{whole}:{minute:02d}" if minute else str(whole)


def rule_params(params: dict[str, Any] | None, schema: dict[str, Any]) -> tuple[dict, list[str]]:
    """Fill defaults from the kind's schema and list the parameters that are missing or of
    the wrong type. ``schema`` maps name → {"type": "int|float|bool|list", "default": ...};
    ``"format": "hours"`` marks a list of hour windows (``hours_problem``)."""
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
        if (
            not isinstance(value, want)
            or (want is not bool and isinstance(value, bool))
            or (spec.get("format") == "hours" and hours_problem(value))
        ):
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
