"""The small plant the sink tests write into (one camera, zone and two rules) and the
helpers that build hits, permits and guardian posts for it."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, create_engine, func, select

from core.rbac import seed_permissions
from detectors.config import load_cameras
from detectors.types import CameraSpec, Hit
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from models.video import (
    Camera,
    VideoRule,
    VideoRuleKind,
    VideoViolation,
    VideoZone,
)
from models.workflow import WorkflowEvent
from tests import factories

RULE_KINDS = (
    Path(__file__).resolve().parents[2] / "data" / "reference" / "video" / "rule_kinds.json"
)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SQUARE = [[100.4, 100], [500, 100.6], [500, 400], [100, 400]]


@dataclass(frozen=True)
class World:
    ent: int
    dept: int
    area: int
    camera: int
    zone: int
    rule: int  # intrusion, no auto hazard
    hazard_rule: int  # ppe_missing, auto hazard


def jpeg(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, "JPEG")
    return out.getvalue()


def build(engine: Engine) -> World:
    with Session(engine) as s:
        seed_permissions(s)
        for row in json.loads(RULE_KINDS.read_text(encoding="utf-8"))["rows"]:
            s.add(VideoRuleKind(**row))
        ent = factories.enterprise(s, None)
        dept = factories.department(s, ent.id, "机修车间")
        area = factories.make(s, "area", name="机修车间东区", enterprise_id=ent.id)
        camera = Camera(
            name="东门 1 号",
            source_uri="synthetic://yard",
            enterprise_id=ent.id,
            department_id=dept.id,
            frame_width=640,
            frame_height=480,
            detector_config={"weights": "yolov8n.pt", "classes": {"person": "person"}},
        )
        s.add(camera)
        s.flush()
        zone = VideoZone(
            camera_id=camera.id,
            name="冲压区",
            polygon=SQUARE,
            area_id=area.id,
            enterprise_id=ent.id,
        )
        s.add(zone)
        s.flush()
        rule = VideoRule(zone_id=zone.id, name="禁入", kind="intrusion", enterprise_id=ent.id)
        hazard_rule = VideoRule(
            zone_id=zone.id, name="安全帽", kind="ppe_missing", auto_hazard=True, params={}
        )
        s.add_all([rule, hazard_rule])
        s.commit()
        return World(ent.id, dept.id, area.id, camera.id, zone.id, rule.id, hazard_rule.id)


def camera_spec(engine: Engine) -> CameraSpec:
    with Session(engine) as s:
        (camera,) = load_cameras(s)
    return camera


def make_hit(w: World, n: int, *, rule: int | None = None, track: int | None = 7) -> Hit:
    return Hit(
        camera_id=w.camera,
        rule_id=rule or w.rule,
        zone_id=w.zone,
        kind="ppe_missing" if rule == w.hazard_rule else "intrusion",
        track_id=track,
        confidence=0.9,
        at=T0 + timedelta(seconds=n),
        frame_index=n * 5,
        boxes=((110.0, 120.0, 150.0, 260.0),),
    )


def violation_rows(engine: Engine) -> list[VideoViolation]:
    with Session(engine) as s:
        return list(s.exec(select(VideoViolation).order_by(col(VideoViolation.id))).all())


def count_rows(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def dead_engine(tmp_path: Path) -> Engine:
    """A database that cannot be opened: every connect raises OperationalError."""
    return create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")


def add_permit(engine: Engine, w: World, state: PermitState) -> int:
    """A permit in the zone's area, in ``state``."""
    with Session(engine) as s:
        ptype = PermitType(code="DH", name="动火作业", name_en="Hot work")
        s.add(ptype)
        s.flush()
        permit = Permit(
            enterprise_id=w.ent,
            permit_type_id=ptype.id,
            area_id=w.area,
            location="冲压区",
            planned_start=T0,
            planned_end=T0 + timedelta(hours=8),
            content="法兰焊接",
            state=state,
            started_at=T0,
        )
        s.add(permit)
        s.commit()
        return permit.id


def guardian_post(engine: Engine, w: World) -> int:
    """A guardian post rule that suspends the permit when the post stands empty for 90 s."""
    with Session(engine) as s:
        rule = VideoRule(
            zone_id=w.zone,
            name="监护人",
            kind="post_unstaffed",
            enterprise_id=w.ent,
            params={"seconds": 90, "while_permit": True, "suspend_permit": True},
        )
        s.add(rule)
        s.commit()
        return rule.id


def unstaffed(w: World, rule_id: int, permit_id: int, n: int = 1) -> Hit:
    return replace(
        make_hit(w, n, rule=rule_id, track=None), kind="post_unstaffed", permit_id=permit_id
    )


def suspensions(engine: Engine, permit_id: int) -> list[WorkflowEvent]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(WorkflowEvent).where(
                    WorkflowEvent.table_name == "permit",
                    WorkflowEvent.row_id == permit_id,
                    WorkflowEvent.action == "suspend",
                )
            ).all()
        )
