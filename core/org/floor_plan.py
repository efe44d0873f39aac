"""The enterprise floor plan as a bitmap in its own frame (metres, origin bottom-left, y up).

The map draws this bitmap under the areas, so it needs no tiles and no network. Without an
upload we draw a plain plan with Pillow (grid and area outlines, no text: names are a text
layer, so Chinese renders with the browser's fonts). An uploaded image replaces it; it is
stretched over the whole frame, its top edge at ``plan_height``. Uploads are stored
content-addressed through ``core.crud.files`` (org edit permission, row in scope, audited)
and shown downscaled, so a 20 MB photo does not travel to the browser on every rerun.
"""

from __future__ import annotations

import base64
import io
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw
from sqlmodel import Session

from core import attachments, audit
from core.config import Settings
from core.crud import files
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.rbac import Actor
from models.enums import Action, Module
from models.org import Enterprise
from models.system import Attachment

MAX_SIDE_PX = 1600
SHOWN_MAX_SIDE_PX = 2000
FRAME_MARGIN = 1.05  # frame guessed from the areas when the enterprise has none


@dataclass(frozen=True)
class Palette:
    background: str
    grid: str
    grid_major: str
    area_fill: str
    outline: str


LIGHT = Palette("#f4f4f2", "#e4e6e9", "#cdd2d8", "#ffffff", "#5b6675")
DARK = Palette("#0e1117", "#1a2029", "#262e3a", "#151b24", "#7d8a9c")


@dataclass(frozen=True)
class Bitmap:
    """An image and the frame it spans (what BitmapLayer needs)."""

    url: str
    width: float
    height: float
    uploaded: bool


def frame(enterprise: Enterprise, polygons: Sequence[Sequence[Sequence[float]]]) -> tuple | None:
    """(width, height) in metres: the enterprise's frame, else one around its areas."""
    if enterprise.plan_width and enterprise.plan_height:
        return (float(enterprise.plan_width), float(enterprise.plan_height))
    xs = [p[0] for poly in polygons for p in poly]
    ys = [p[1] for poly in polygons for p in poly]
    if not xs or max(xs) <= 0 or max(ys) <= 0:
        return None
    return (round(max(xs) * FRAME_MARGIN, 1), round(max(ys) * FRAME_MARGIN, 1))


@lru_cache(maxsize=32)
def default_png(
    width: float, height: float, polygons: tuple[tuple[tuple[float, float], ...], ...], dark: bool
) -> bytes:
    """A plain plan: 10 m grid (50 m darker), area outlines. Cached: it only changes when the
    frame or an area does."""
    colours = DARK if dark else LIGHT
    scale = MAX_SIDE_PX / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    img = Image.new("RGB", size, colours.background)
    draw = ImageDraw.Draw(img)

    def px(x: float, y: float) -> tuple[float, float]:
        return (x * scale, (height - y) * scale)  # y up in the plan, down in the image

    for metres in range(0, int(max(width, height)) + 1, 10):
        tone = colours.grid_major if metres % 50 == 0 else colours.grid
        if metres <= width:
            draw.line([px(metres, 0), px(metres, height)], fill=tone, width=1)
        if metres <= height:
            draw.line([px(0, metres), px(width, metres)], fill=tone, width=1)
    for polygon in polygons:
        if len(polygon) >= 3:
            draw.polygon([px(x, y) for x, y in polygon], fill=colours.area_fill)
            draw.line([px(x, y) for x, y in (*polygon, polygon[0])], fill=colours.outline, width=3)
    draw.rectangle([0, 0, size[0] - 1, size[1] - 1], outline=colours.outline, width=2)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _downscale(data: bytes) -> tuple[bytes, str]:
    with Image.open(io.BytesIO(data)) as img:
        img.seek(0)
        picture = img.convert("RGBA") if "A" in img.getbands() else img.convert("RGB")
    picture.thumbnail((SHOWN_MAX_SIDE_PX, SHOWN_MAX_SIDE_PX))
    out = io.BytesIO()
    if picture.mode == "RGBA":
        picture.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    picture.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), "image/jpeg"


_SHOWN: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
_SHOWN_KEEP = 16


def shown_image(item: Attachment, settings: Settings) -> tuple[bytes, str]:
    """An uploaded plan, downscaled for the browser; read and scaled once per file hash."""
    if item.sha256 in _SHOWN:
        _SHOWN.move_to_end(item.sha256)
        return _SHOWN[item.sha256]
    shown = _downscale(attachments.read(item, settings))
    _SHOWN[item.sha256] = shown
    while len(_SHOWN) > _SHOWN_KEEP:
        _SHOWN.popitem(last=False)
    return shown


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def bitmap(
    session: Session,
    enterprise: Enterprise,
    polygons: Sequence[Sequence[Sequence[float]]],
    settings: Settings,
    *,
    dark: bool = False,
) -> Bitmap | None:
    """The plan to draw: the upload when there is a readable one, else the default plan.

    The caller has already checked that the enterprise is in the actor's scope (it picked
    it from a scoped list); a damaged upload falls back to the default rather than failing.
    """
    size = frame(enterprise, polygons)
    if size is None:
        return None
    if enterprise.floor_plan_id is not None:
        item = session.get(Attachment, enterprise.floor_plan_id)
        if item is not None and item.deleted_at is None:
            try:
                data, mime = shown_image(item, settings)
                return Bitmap(data_url(data, mime), size[0], size[1], True)
            except (attachments.AttachmentCorrupted, OSError):
                pass
    key = tuple(tuple((float(x), float(y)) for x, y, *_ in poly) for poly in polygons)
    png = default_png(size[0], size[1], key, dark)
    return Bitmap(data_url(png, "image/png"), size[0], size[1], False)


def set_floor_plan(
    session: Session,
    actor: Actor,
    enterprise_id: int,
    data: bytes,
    filename: str,
    settings: Settings,
) -> Attachment:
    """Store an uploaded image as the enterprise's plan (org edit permission, in scope)."""
    kind = attachments.sniff(data, filename)
    if data and (kind is None or not kind.is_image):
        raise attachments.AttachmentRejected(
            "attachment.not_image", {"filename": attachments.safe_filename(filename)}
        )
    spec = get_spec("enterprise")
    item = files.attach(session, spec, actor, enterprise_id, data, filename, settings)
    _point_at(session, actor, enterprise_id, item.id)
    return item


def clear_floor_plan(session: Session, actor: Actor, enterprise_id: int) -> None:
    """Go back to the drawn default (the upload stays among the enterprise's attachments)."""
    _point_at(session, actor, enterprise_id, None)


def _point_at(session: Session, actor: Actor, enterprise_id: int, item_id: int | None) -> None:
    actor.require(Module.ORG, Action.EDIT)
    row: Enterprise = get_row(session, get_spec("enterprise"), actor, enterprise_id)
    before = row.floor_plan_id
    if before == item_id:
        return
    row.floor_plan_id = item_id
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "update",
        table_name="enterprise",
        row_id=enterprise_id,
        before={"floor_plan_id": before},
        after={"floor_plan_id": item_id},
    )
