"""The floor-plan bitmap: the drawn default, and an uploaded image replacing it."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from sqlmodel import Session, select

from core.attachments import AttachmentRejected
from core.config import Settings
from core.crud.service import NotFound
from core.org import floor_plan
from core.rbac import PermissionDenied
from models.org import Enterprise
from models.system import AuditEntry
from tests.factories import Org, Users

SQUARE = ((10.0, 10.0), (30.0, 10.0), (30.0, 20.0), (10.0, 20.0))


def _png(colour: str = "red", size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _decode(url: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def test_default_plan_keeps_the_aspect_and_puts_y_up() -> None:
    img = Image.open(io.BytesIO(floor_plan.default_png(100.0, 50.0, (SQUARE,), False)))

    assert img.size == (floor_plan.MAX_SIDE_PX, floor_plan.MAX_SIDE_PX // 2)
    scale = floor_plan.MAX_SIDE_PX / 100
    inside_low = img.getpixel((int(20 * scale), int((50 - 15) * scale)))  # (20, 15) in metres
    mirrored = img.getpixel((int(20 * scale), int(15 * scale)))  # where y-down would put it
    assert inside_low == Image.new("RGB", (1, 1), floor_plan.LIGHT.area_fill).getpixel((0, 0))
    assert inside_low != mirrored


def test_frame_falls_back_to_the_areas() -> None:
    assert floor_plan.frame(Enterprise(name="x", code="x"), [list(SQUARE)]) == (31.5, 21.0)
    assert floor_plan.frame(Enterprise(name="x", code="x"), []) is None
    sized = Enterprise(name="x", code="x", plan_width=200, plan_height=80)
    assert floor_plan.frame(sized, [list(SQUARE)]) == (200.0, 80.0)


def test_upload_replaces_the_default_and_can_be_undone(
    session: Session, users: Users, org: Org, settings: Settings
) -> None:
    enterprise = session.get(Enterprise, org.ent1)
    enterprise.plan_width, enterprise.plan_height = 100.0, 50.0
    drawn = floor_plan.bitmap(session, enterprise, [list(SQUARE)], settings)
    assert drawn is not None and not drawn.uploaded

    item = floor_plan.set_floor_plan(
        session, users.safety_head, org.ent1, _png(), "厂区平面图.png", settings
    )
    session.refresh(enterprise)
    assert enterprise.floor_plan_id == item.id
    shown = floor_plan.bitmap(session, enterprise, [list(SQUARE)], settings)
    assert shown.uploaded and (shown.width, shown.height) == (100.0, 50.0)
    assert _decode(shown.url).getpixel((5, 5))[0] > 200, "the uploaded red image"
    audit = session.exec(
        select(AuditEntry).where(
            AuditEntry.table_name == "enterprise", AuditEntry.action == "update"
        )
    ).all()
    assert audit[-1].after == {"floor_plan_id": item.id}

    floor_plan.clear_floor_plan(session, users.safety_head, org.ent1)
    session.refresh(enterprise)
    assert enterprise.floor_plan_id is None
    assert not floor_plan.bitmap(session, enterprise, [list(SQUARE)], settings).uploaded


def test_upload_needs_an_image_edit_rights_and_scope(
    session: Session, users: Users, org: Org, settings: Settings
) -> None:
    with pytest.raises(AttachmentRejected) as refused:
        floor_plan.set_floor_plan(session, users.admin, org.ent1, b"a,b\n1,2\n", "x.csv", settings)
    assert refused.value.key == "attachment.not_image"
    with pytest.raises(PermissionDenied):
        floor_plan.set_floor_plan(session, users.employee_a, org.ent1, _png(), "p.png", settings)
    with pytest.raises(NotFound):  # another enterprise is out of the safety head's scope
        floor_plan.set_floor_plan(session, users.safety_head, org.ent2, _png(), "p.png", settings)
    assert session.get(Enterprise, org.ent2).floor_plan_id is None
