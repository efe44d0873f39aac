"""The evidence snapshot of a violation: zones outlined, persons boxed and labelled, the
offending box in red, then JPEG bytes for the attachment store.

Drawn with supervision's annotators, which use OpenCV's Hershey fonts: those have ASCII glyphs
only, so every label here is ASCII ("#12 person no-helmet 0.83") and a zone whose name is not
ASCII is labelled by id and kind. (ultralytics' own plotting would download a font.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import cv2
import numpy as np
import supervision as sv

from detectors.tracking import confidences_of, roles_of
from detectors.types import Hit, ZoneSpec
from models.video import DetectionRole

OK, OFFENDING = 0, 1
PALETTE = sv.ColorPalette([sv.Color.from_hex("#22c55e"), sv.Color.from_hex("#ef4444")])
ZONE_COLOURS = {
    "danger": sv.Color.from_hex("#ef4444"),
    "restricted": sv.Color.from_hex("#f97316"),
    "confined_space": sv.Color.from_hex("#a855f7"),
    "post": sv.Color.from_hex("#3b82f6"),
    "ppe_required": sv.Color.from_hex("#eab308"),
}


def label_of(detections: sv.Detections, row: int) -> str:
    """``#12 person no-helmet 0.83``: track, role, what is missing, confidence."""
    parts = []
    if detections.tracker_id is not None:
        parts.append(f"#{int(detections.tracker_id[row])}")
    parts.append(str(roles_of(detections)[row]))
    data = detections.data
    if "head_visible" in data and data["head_visible"][row] and not data["has_helmet"][row]:
        parts.append("no-helmet")
    if "has_vest" in data and not data["has_vest"][row]:
        parts.append("no-vest")
    parts.append(f"{confidences_of(detections)[row]:.2f}")
    return _ascii(" ".join(parts))


def box_labels(detections: sv.Detections) -> list[dict[str, Any]]:
    """Every box of the frame as ``{role, xyxy, confidence, track_id}`` (integer pixels):
    stored with the clean frame so a reviewer can correct them into training labels.

    Example:
        >>> import numpy as np, supervision as sv
        >>> boxes = sv.Detections(np.array([[10.4, 10, 50, 99.6]]), confidence=np.array([0.9123]))
        >>> box_labels(boxes)
        [{'role': 'person', 'xyxy': [10, 10, 50, 100], 'confidence': 0.912, 'track_id': None}]
    """
    roles, conf = roles_of(detections), confidences_of(detections)
    ids = detections.tracker_id
    return [
        {
            "role": str(roles[row]),
            "xyxy": [round(float(v)) for v in detections.xyxy[row]],
            "confidence": round(float(conf[row]), 3),
            "track_id": None if ids is None else int(ids[row]),
        }
        for row in range(len(detections))
    ]


def training_labels(detections: sv.Detections, tracked: sv.Detections) -> list[dict[str, Any]]:
    """The labels kept with a violation's clean frame: the tracked people (with their track
    ids) and every head, helmet, vest … box the model saw (tracking folds those into flags on
    the person, so they come from the raw detections)."""
    parts = box_labels(tracked)
    others = roles_of(detections) != DetectionRole.PERSON.value
    return parts + box_labels(detections[others]) if others.any() else parts


def zone_label(zone: ZoneSpec) -> str:
    name = _ascii(zone.name)
    return name if name == zone.name and name else f"zone {zone.id} {zone.kind}"


def offending(detections: sv.Detections, hit: Hit | None) -> np.ndarray:
    """Which boxes the hit is about: its track, or any box it lists (zone-level hits)."""
    rows = np.zeros(len(detections), dtype=bool)
    if hit is None or len(detections) == 0:
        return rows
    if hit.track_id is not None and detections.tracker_id is not None:
        rows |= np.asarray(detections.tracker_id) == hit.track_id
    for box in hit.boxes:
        rows |= np.all(np.isclose(detections.xyxy, np.asarray(box, dtype=float)), axis=1)
    return rows


def annotate(
    frame: np.ndarray, detections: sv.Detections, zones: Iterable[ZoneSpec], hit: Hit | None = None
) -> np.ndarray:
    """Return a copy of ``frame`` (BGR) with the zones, the boxes and the hit drawn.

    The hit's zone is drawn thicker; hit boxes that match no detection (a person since lost)
    are still drawn in red.

    Example:
        >>> import numpy as np, supervision as sv
        >>> frame = np.zeros((120, 160, 3), dtype=np.uint8)
        >>> people = sv.Detections(xyxy=np.array([[10, 10, 50, 100]], dtype=float))
        >>> annotate(frame, people, []).shape
        (120, 160, 3)
    """
    scene = frame.copy()
    for zone in zones:
        colour = ZONE_COLOURS.get(zone.kind, sv.Color.WHITE)
        polygon = np.asarray(zone.polygon, dtype=np.int32)
        thick = 4 if hit is not None and hit.zone_id == zone.id else 2
        scene = sv.draw_polygon(scene, polygon, colour, thickness=thick)
        text = zone_label(zone)
        (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        x, y = polygon.min(axis=0)
        scene = sv.draw_text(
            scene,
            text,
            sv.Point(int(x) + width // 2 + 6, int(y) + height // 2 + 6),
            text_color=sv.Color.WHITE,
            text_scale=0.4,
            text_padding=4,
            background_color=colour,
        )
    if len(detections):
        rows = offending(detections, hit)
        lookup = np.where(rows, OFFENDING, OK)
        scene = sv.BoxAnnotator(color=PALETTE, thickness=2).annotate(
            scene, detections, custom_color_lookup=lookup
        )
        labels = [label_of(detections, row) for row in range(len(detections))]
        scene = sv.LabelAnnotator(color=PALETTE, text_scale=0.4, text_padding=4).annotate(
            scene, detections, labels=labels, custom_color_lookup=lookup
        )
    if hit is not None:
        for box in hit.boxes:
            x1, y1, x2, y2 = (round(v) for v in box)
            scene = sv.draw_rectangle(
                scene, sv.Rect(x1, y1, x2 - x1, y2 - y1), PALETTE.by_idx(OFFENDING), 3
            )
    return scene


def jpeg(frame: np.ndarray, quality: int = 80) -> bytes:
    """Encode a BGR frame as JPEG bytes (the snapshot attachment)."""
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("could not encode the frame as JPEG")
    return buffer.tobytes()


def _ascii(text: str) -> str:
    return text.encode("ascii", "ignore").decode().strip()
