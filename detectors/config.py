"""The detector's configuration, read from the database as frozen ``CameraSpec`` values.

The service polls :func:`load_cameras` and compares ``CameraSpec.version`` with what each
running pipeline was built from: the version is a hash of every value the pipeline uses
(camera, zones, rules, and the parameter defaults of the rule kinds), so any edit that matters
restarts that camera's pipeline and edits that do not (a review note, a heartbeat) leave it
alone. Four queries, one per table, whatever the number of cameras.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, select

from core.crud.secrets import with_credentials
from core.video.rules import rule_params
from detectors.types import CameraSpec, RuleSpec, ZoneSpec
from models.video import Camera, VideoRule, VideoRuleKind, VideoZone

log = logging.getLogger(__name__)

VERSION_CHARS = 16


def load_cameras(session: Session, camera_ids: Iterable[int] | None = None) -> list[CameraSpec]:
    """Enabled, not deleted cameras (all, or those in ``camera_ids``) with their zones and
    enabled rules, ordered by camera id.

    Rule parameters come back with the kind's defaults filled in; a rule whose parameters are
    still missing or mistyped, or a zone whose polygon is not a list of ``[x, y]`` points, is
    left out with a warning rather than crashing the pipeline.

    Example:
        >>> from sqlmodel import Session
        >>> with Session(engine) as session:  # doctest: +SKIP
        ...     specs = load_cameras(session)
        >>> [s.name for s in specs]  # doctest: +SKIP
        ['东门 1 号']
    """
    stmt = select(Camera).where(col(Camera.enabled).is_(True), col(Camera.deleted_at).is_(None))
    if camera_ids is not None:
        stmt = stmt.where(col(Camera.id).in_(list(camera_ids)))
    cameras = list(session.exec(stmt.order_by(col(Camera.id))).all())
    if not cameras:
        return []
    zones = session.exec(
        select(VideoZone)
        .where(
            col(VideoZone.camera_id).in_([c.id for c in cameras]),
            col(VideoZone.deleted_at).is_(None),
        )
        .order_by(col(VideoZone.id))
    ).all()
    zone_specs: dict[int, ZoneSpec] = {}
    camera_of_zone: dict[int, int] = {}
    for zone in zones:
        polygon = _polygon(zone.polygon)
        if polygon is None:
            log.warning("zone %s (%s): polygon %r is not usable", zone.id, zone.name, zone.polygon)
            continue
        assert zone.id is not None
        zone_specs[zone.id] = ZoneSpec(
            id=zone.id, name=zone.name, kind=str(zone.kind), polygon=polygon, area_id=zone.area_id
        )
        camera_of_zone[zone.id] = zone.camera_id
    rules = (
        session.exec(
            select(VideoRule)
            .where(
                col(VideoRule.zone_id).in_(list(zone_specs)),
                col(VideoRule.enabled).is_(True),
                col(VideoRule.deleted_at).is_(None),
            )
            .order_by(col(VideoRule.id))
        ).all()
        if zone_specs
        else []
    )
    schemas = _schemas(session) if rules else {}
    rule_specs: dict[int, list[RuleSpec]] = {}
    for rule in rules:
        spec = _rule_spec(rule, schemas)
        if spec is not None:
            rule_specs.setdefault(camera_of_zone[rule.zone_id], []).append(spec)
    return [
        _camera_spec(
            camera,
            tuple(z for z in zone_specs.values() if camera_of_zone[z.id] == camera.id),
            tuple(rule_specs.get(camera.id or -1, ())),
        )
        for camera in cameras
    ]


def _schemas(session: Session) -> dict[str, dict[str, Any]]:
    rows = session.exec(
        select(VideoRuleKind.code, VideoRuleKind.params_schema).where(
            col(VideoRuleKind.deleted_at).is_(None)
        )
    ).all()
    return {code: schema or {} for code, schema in rows}


def _rule_spec(rule: VideoRule, schemas: dict[str, dict[str, Any]]) -> RuleSpec | None:
    params, bad = rule_params(rule.params, schemas.get(str(rule.kind), {}))
    if bad:
        log.warning("rule %s (%s): bad parameters %s, skipped", rule.id, rule.name, bad)
        return None
    assert rule.id is not None
    return RuleSpec(
        id=rule.id,
        zone_id=rule.zone_id,
        name=rule.name,
        kind=str(rule.kind),
        params=params,
        cooldown_s=rule.cooldown_s,
        min_confidence=rule.min_confidence,
        min_frames=rule.min_frames,
        auto_hazard=rule.auto_hazard,
    )


def _camera_spec(
    camera: Camera, zones: tuple[ZoneSpec, ...], rules: tuple[RuleSpec, ...]
) -> CameraSpec:
    assert camera.id is not None
    values: dict[str, Any] = {
        "id": camera.id,
        "name": camera.name,
        "enterprise_id": camera.enterprise_id,
        "department_id": camera.department_id,
        "area_id": camera.area_id,
        "source_uri": with_credentials(camera.source_uri, camera.username, camera.password),
        "fps_target": float(camera.fps_target),
        "frame_width": camera.frame_width,
        "frame_height": camera.frame_height,
        "detector_config": dict(camera.detector_config or {}),
        "zones": zones,
        "rules": rules,
    }
    return CameraSpec(**values, version=config_version(values))


def config_version(values: dict[str, Any]) -> str:
    """A short stable hash of a camera's configuration values (zones and rules included)."""
    plain = {
        k: [asdict(item) for item in v] if k in ("zones", "rules") else v for k, v in values.items()
    }
    text = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:VERSION_CHARS]


def _polygon(raw: Any) -> tuple[tuple[int, int], ...] | None:
    """``[[x, y], ...]`` as int pixel tuples, or None when it is not at least three points."""
    if not isinstance(raw, list | tuple) or len(raw) < 3:
        return None
    points = []
    for point in raw:
        if not (isinstance(point, list | tuple) and len(point) == 2):
            return None
        x, y = point
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in (x, y)):
            return None
        points.append((round(x), round(y)))
    return tuple(points)
