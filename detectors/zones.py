"""A camera's zones as ``sv.PolygonZone``s, and who is in which one on a frame.

A person is in a zone when the bottom centre of their box (where the feet are) is inside the
polygon, as Frigate does: a person standing next to a danger area whose head overlaps it in
the image is not in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import supervision as sv

from detectors.types import CameraSpec, ZoneSpec

ANCHORS = (sv.Position.BOTTOM_CENTER,)


def build_zone(spec: ZoneSpec) -> sv.PolygonZone:
    """One zone's polygon with the bottom-centre anchor; a polygon that encloses no area
    (fewer than three points, or any point with a negative coordinate) is a configuration
    error named after the zone rather than a zone that silently never triggers."""
    polygon = np.asarray(spec.polygon, dtype=np.int64)
    if polygon.ndim != 2 or polygon.shape[1] != 2 or len(polygon) < 3:
        raise ValueError(f"zone {spec.id} ({spec.name}): a polygon needs at least 3 [x, y] points")
    if (polygon < 0).any():
        raise ValueError(f"zone {spec.id} ({spec.name}): polygon points must be in the frame")
    return sv.PolygonZone(polygon, triggering_anchors=ANCHORS)


@dataclass(frozen=True)
class Zones:
    """The zones of one camera, keyed by zone id, in configuration order.

    Example:
        >>> import numpy as np, supervision as sv
        >>> square = ((0, 0), (100, 0), (100, 100), (0, 100))
        >>> zones = Zones.from_specs([ZoneSpec(1, "pit", "danger", square)])
        >>> people = sv.Detections(
        ...     xyxy=np.array([[10, 10, 30, 90]], dtype=float), tracker_id=np.array([7])
        ... )
        >>> zones.occupants(people)
        {1: (7,)}
    """

    specs: dict[int, ZoneSpec]
    polygons: dict[int, sv.PolygonZone]

    @classmethod
    def from_specs(cls, specs: Iterable[ZoneSpec]) -> Zones:
        specs = {spec.id: spec for spec in specs}
        return cls(specs=specs, polygons={zid: build_zone(spec) for zid, spec in specs.items()})

    @classmethod
    def from_camera(cls, camera: CameraSpec) -> Zones:
        return cls.from_specs(camera.zones)

    def trigger(self, detections: sv.Detections) -> dict[int, np.ndarray]:
        """Per zone id, a boolean mask over ``detections``: which boxes are inside."""
        if len(detections) == 0:
            return {zid: np.zeros(0, dtype=bool) for zid in self.polygons}
        return {zid: zone.trigger(detections) for zid, zone in self.polygons.items()}

    def occupants(self, detections: sv.Detections) -> dict[int, tuple[int, ...]]:
        """Per zone id, the sorted tracker ids of the tracked persons inside it."""
        if len(detections) and detections.tracker_id is None:
            raise ValueError("occupants() needs tracked detections (tracker_id is None)")
        ids = np.zeros(0, dtype=int) if len(detections) == 0 else np.asarray(detections.tracker_id)
        return {
            zid: tuple(sorted(int(tid) for tid in ids[mask] if tid >= 0))
            for zid, mask in self.trigger(detections).items()
        }
