"""CRUD declarations for AI video (智能视频): cameras, zones, rules, violations and the two
reference lists (rule kinds, class → role map)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.crud.fields import DERIVED, TEXTAREA, module_fields
from core.crud.registry import TableSpec, register
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import REFERENCE_SCOPE, Actor, ScopeColumns
from core.video.rules import default_detector_config, polygon_problem, rule_params
from models.enums import Module
from models.org import Area
from models.video import (
    Camera,
    VideoClassRole,
    VideoRule,
    VideoRuleKind,
    VideoViolation,
    VideoZone,
)

#: Columns whose project-wide wording fits the video tables (the rest read 摄像头名称 …).
SHARED = {"name", "post_id", "active", "enterprise_id", "department_id"}


def _scope_from(values: dict[str, Any], source: Any) -> None:
    if source is not None:
        values["enterprise_id"] = source.enterprise_id
        values["department_id"] = source.department_id


def _camera_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A camera belongs to its area's enterprise; an empty model config gets the defaults."""
    _scope_from(values, session.get(Area, values.get("area_id") or -1))
    if not values.get("detector_config"):
        rows = session.exec(
            select(VideoClassRole.model_family, VideoClassRole.class_name, VideoClassRole.role)
            .where(VideoClassRole.deleted_at.is_(None))  # type: ignore[union-attr]
            .order_by(VideoClassRole.code)
        ).all()
        values["detector_config"] = default_detector_config((f, c, str(r)) for f, c, r in rows)


def _zone_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """The polygon must lie inside the camera's frame, or the detector could never trigger."""
    camera = session.get(Camera, values.get("camera_id") or -1)
    if camera is None:
        return
    _scope_from(values, camera)
    values["area_id"] = values.get("area_id") or camera.area_id
    problem = polygon_problem(values.get("polygon"), camera.frame_width, camera.frame_height)
    if problem:
        params = {"width": camera.frame_width, "height": camera.frame_height}
        raise ValidationFailed([Problem("polygon", problem, params)])


def _rule_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Parameters get the kind's defaults; missing or mistyped ones are refused."""
    _scope_from(values, session.get(VideoZone, values.get("zone_id") or -1))
    kind = session.exec(
        select(VideoRuleKind).where(VideoRuleKind.code == str(values.get("kind")))
    ).first()
    if kind is None:
        values["params"] = values.get("params") or {}
        return
    params, bad = rule_params(values.get("params"), kind.params_schema or {})
    if bad:
        names = "、".join(bad)
        raise ValidationFailed([Problem("params", "validation.video.bad_params", {"names": names})])
    values["params"] = params


def _violation_rules(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Zone and rule kind follow the rule, scope follows the camera."""
    _scope_from(values, session.get(Camera, values.get("camera_id") or -1))
    rule = session.get(VideoRule, values.get("rule_id") or -1)
    if rule is not None:
        values["zone_id"] = rule.zone_id
        values["rule_kind"] = rule.kind


CAMERA_COLS = ("name", "code", "area_id", "source_uri", "username", "kind", "enabled", "fps_target",
               "frame_width", "frame_height", "detector_config", "status", "last_frame_at",
               "fps", "lag_ms", "last_error", "enterprise_id", "department_id")  # fmt: skip
HEALTH = {"in_form": False, "in_io": False}
CAMERA = register(
    TableSpec(
        name="camera",
        page="pages/video_camera.py",
        model=Camera,
        module=Module.VIDEO,
        fields=module_fields(
            Camera,
            *CAMERA_COLS,
            prefix="video",
            shared=SHARED,
            name={"label": "field.video.camera_name"},
            source_uri={"masked": True, "credentials": ("username", "password")},
            username={"in_form": False, "in_io": False, "in_list": False},  # typed in the URI
            area_id={"filter": True},
            kind={"filter": True},
            enabled={"filter": True},
            frame_width={"in_list": False},
            frame_height={"in_list": False},
            detector_config={"in_list": False},
            status={**HEALTH, "filter": True},
            last_frame_at=HEALTH,
            fps=HEALTH,
            lag_ms=HEALTH,
            last_error={**HEALTH, "in_list": False},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name", "code"),
        default_sort=("name", False),
        scope=ScopeColumns(own=None),
        before_save=_camera_rules,
        secret=("password",),
        example={"frame_width": 1920, "frame_height": 1080, "source_uri": "synthetic://demo{n}"},
    )
)

ZONE_COLS = ("name", "camera_id", "kind", "polygon", "area_id", "enterprise_id", "department_id")
VIDEO_ZONE = register(
    TableSpec(
        name="video_zone",
        parent="camera_id",
        page="pages/video_zone.py",
        model=VideoZone,
        module=Module.VIDEO,
        fields=module_fields(
            VideoZone,
            *ZONE_COLS,
            prefix="video",
            shared=SHARED,
            name={"label": "field.video.zone_name"},
            camera_id={"filter": True},
            kind={"label": "field.video.zone_kind", "filter": True},
            polygon={"label": "field.video.polygon", "in_list": False},
            area_id={"filter": True},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name",),
        default_sort=("camera_id", False),
        scope=ScopeColumns(own=None),
        before_save=_zone_rules,
        example={"polygon": [[100, 100], [900, 120], [880, 700], [120, 680]]},
    )
)

RULE_COLS = ("name", "zone_id", "kind", "params", "cooldown_s", "min_confidence", "min_frames",
             "enabled", "auto_hazard", "enterprise_id", "department_id")  # fmt: skip
VIDEO_RULE = register(
    TableSpec(
        name="video_rule",
        page="pages/video_rule.py",
        model=VideoRule,
        module=Module.VIDEO,
        fields=module_fields(
            VideoRule,
            *RULE_COLS,
            prefix="video",
            shared=SHARED,
            name={"label": "field.video.rule_name"},
            zone_id={"filter": True},
            kind={"label": "field.video.rule_kind", "filter": True},
            enabled={"filter": True},
            auto_hazard={"filter": True},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("name",),
        default_sort=("zone_id", False),
        scope=ScopeColumns(own=None),
        before_save=_rule_rules,
        example={"min_confidence": 0.5},
    )
)

VIOLATION_COLS = ("occurred_at", "camera_id", "zone_id", "rule_id", "rule_kind", "track_id",
                  "confidence", "snapshot_id", "boxes", "state", "reviewed_by", "reviewed_at",
                  "review_comment", "hazard_id", "enterprise_id", "department_id")  # fmt: skip
VIDEO_VIOLATION = register(
    TableSpec(
        name="video_violation",
        page="pages/video_violation.py",
        model=VideoViolation,
        module=Module.VIDEO,
        fields=module_fields(
            VideoViolation,
            *VIOLATION_COLS,
            prefix="video",
            shared=SHARED,
            occurred_at={"filter": True},
            camera_id={"filter": True},
            zone_id={"filter": True},
            rule_id={"filter": True, "in_list": False},
            rule_kind={"filter": True},
            track_id={"in_list": False},
            snapshot_id={"in_list": False},
            boxes={"in_list": False},
            state={"label": "field.video.review_state", "filter": True},
            reviewed_by={"in_form": False, "in_io": False},
            review_comment={"kind": TEXTAREA, "in_list": False},
            hazard_id={"in_list": False},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("review_comment",),
        title_field="occurred_at",
        default_sort=("occurred_at", True),
        before_save=_violation_rules,
        example={"confidence": 0.9},
    )
)

RULE_KIND_COLS = ("code", "name", "name_en", "params_schema", "description")
VIDEO_RULE_KIND = register(
    TableSpec(
        name="video_rule_kind",
        page="pages/video_rule_kind.py",
        nav_group="nav.reference",
        model=VideoRuleKind,
        module=Module.VIDEO,
        fields=module_fields(
            VideoRuleKind,
            *RULE_KIND_COLS,
            prefix="video",
            shared=SHARED,
            code={"label": "field.code", "unique": True},
            name={"label": "field.name"},
            name_en={"label": "field.name_en"},
            params_schema={"in_list": False},
            description={"label": "field.description", "kind": TEXTAREA},
        ),
        search=("code", "name", "name_en"),
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "K{n}"},
    )
)

CLASS_ROLE_COLS = ("code", "model_family", "class_name", "role", "description")
VIDEO_CLASS_ROLE = register(
    TableSpec(
        name="video_class_role",
        page="pages/video_class_role.py",
        nav_group="nav.reference",
        model=VideoClassRole,
        module=Module.VIDEO,
        fields=module_fields(
            VideoClassRole,
            *CLASS_ROLE_COLS,
            prefix="video",
            shared=SHARED,
            code={"label": "field.code", "unique": True},
            model_family={"filter": True},
            role={"filter": True},
            description={"label": "field.description", "in_list": False},
        ),
        search=("code", "class_name", "model_family"),
        title_field="code",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        example={"code": "C{n}"},
    )
)
