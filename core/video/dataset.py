"""The flywheel's data half (数据集): reviewed violations out as a YOLO dataset, boxes fixed in.

A reviewed violation is a labelled picture: its clean frame (``frame_id``, no drawing) and
every box the detector saw on it (``labels``), corrected by a reviewer when the model was
wrong. Confirmed rows and false alarms both go out — a false alarm is a hard negative, the
picture the model must learn not to fire on. New rows are not reviewed, so they stay home.

The export reads only rows the actor may see (the violation list's scope), needs the video
export grant, and is audited with its counts. Images are keyed by content hash, so a frame
several violations share goes out once, and the train / val split hashes that key: the same
picture always lands on the same side, whatever else is exported with it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlmodel import Session, col, select

from core import attachments, audit
from core.config import get_settings
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.db import utcnow
from core.i18n import Translatable
from core.local_time import utc_midnight
from core.rbac import Actor
from core.video.review import DECISIONS, require_reviewer
from models.enums import Action, Module
from models.system import Attachment
from models.video import Camera, DetectionRole, VideoViolation

DEFAULT_CLASSES: tuple[str, ...] = ("person", "head", "helmet", "vest")
LABEL_ROLES: tuple[str, ...] = tuple(r.value for r in DetectionRole if r != DetectionRole.IGNORE)
VAL_PERCENT = 20


class LabelsRefused(Translatable):
    """A relabel that would store a box the detector or a trainer could not use."""


@dataclass(frozen=True)
class DatasetFilter:
    """Which reviewed violations to export; ``end`` is inclusive (local days)."""

    camera_id: int | None = None
    start: date | None = None
    end: date | None = None
    states: tuple[str, ...] = tuple(str(d) for d in DECISIONS)
    classes: tuple[str, ...] = DEFAULT_CLASSES
    val_percent: int = VAL_PERCENT


@dataclass
class DatasetSummary:
    """What an export holds (the preview shows it before the download)."""

    images: int = 0
    train: int = 0
    val: int = 0
    boxes: Counter[str] = field(default_factory=Counter)
    skipped_no_frame: int = 0
    duplicates: int = 0
    boxes_dropped: int = 0


@dataclass(frozen=True)
class _Item:
    violation: VideoViolation
    frame: Attachment
    split: str


def split_of(key: str, val_percent: int = VAL_PERCENT) -> str:
    """``val`` for about ``val_percent`` % of keys, the same answer every time."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "val" if bucket < val_percent else "train"


def _reviewed(actor: Actor, filters: DatasetFilter) -> Any:
    """The reviewed violations ``filters`` pick out of those the actor may see, latest edit
    first (the violation list's scope)."""
    states = [s for s in filters.states if s in {str(d) for d in DECISIONS}]
    stmt = visible(get_spec("video_violation"), actor).where(col(VideoViolation.state).in_(states))
    zone = get_settings().timezone
    if filters.camera_id is not None:
        stmt = stmt.where(VideoViolation.camera_id == filters.camera_id)
    if filters.start is not None:
        stmt = stmt.where(col(VideoViolation.occurred_at) >= utc_midnight(filters.start, zone))
    if filters.end is not None:
        end = utc_midnight(filters.end + timedelta(days=1), zone)
        stmt = stmt.where(col(VideoViolation.occurred_at) < end)
    return stmt.order_by(col(VideoViolation.updated_at).desc(), col(VideoViolation.id).desc())


def reviewed(
    session: Session, actor: Actor, filters: DatasetFilter, limit: int = 200
) -> list[VideoViolation]:
    """The rows the relabel editor offers: what an export with these filters would read,
    less those without a clean frame (nothing to label on)."""
    actor.require(Module.VIDEO, Action.VIEW)
    framed = _reviewed(actor, filters).where(col(VideoViolation.frame_id).is_not(None))
    return list(session.exec(framed.limit(limit)).all())


def _collect(
    session: Session, actor: Actor, filters: DatasetFilter
) -> tuple[list[_Item], DatasetSummary]:
    """The rows to export, one per distinct frame (the latest edit wins), and the counts."""
    actor.require(Module.VIDEO, Action.EXPORT)
    rows = list(session.exec(_reviewed(actor, filters)).all())
    frame_ids = sorted({r.frame_id for r in rows if r.frame_id is not None})
    live = select(Attachment).where(  # a soft-deleted frame is no training data
        Attachment.table_name == "video_violation",
        col(Attachment.deleted_at).is_(None),
        col(Attachment.id).in_(frame_ids),
    )
    frames = {a.id: a for a in session.exec(live).all()}
    summary, items, seen = DatasetSummary(), [], set()
    for row in rows:
        frame = frames.get(row.frame_id)
        if frame is None:
            summary.skipped_no_frame += 1
        elif frame.sha256 in seen:
            summary.duplicates += 1
        else:
            seen.add(frame.sha256)
            items.append(_Item(row, frame, split_of(frame.sha256, filters.val_percent)))
    return items, summary


def _count(items: list[_Item], classes: Sequence[str], summary: DatasetSummary) -> None:
    """Fill the image, split and per-class box counts of ``items``."""
    for item in items:
        roles = Counter(str(b.get("role")) for b in item.violation.labels or [])
        summary.boxes.update({r: n for r, n in roles.items() if r in classes})
        summary.boxes_dropped += sum(n for r, n in roles.items() if r not in classes)
    summary.images = len(items)
    summary.val = sum(1 for i in items if i.split == "val")
    summary.train = summary.images - summary.val


def preview(session: Session, actor: Actor, filters: DatasetFilter) -> DatasetSummary:
    """The counts of the export without reading a single image."""
    items, summary = _collect(session, actor, filters)
    _count(items, filters.classes, summary)
    return summary


def yolo_lines(
    labels: Sequence[dict[str, Any]], classes: Sequence[str], size: tuple[int, int]
) -> list[str]:
    """``class cx cy w h`` (normalised to the image) for the boxes whose role is a class.

    Example:
        >>> yolo_lines([{"role": "head", "xyxy": [10, 20, 30, 60]}], ["person", "head"], (100, 100))
        ['1 0.200000 0.400000 0.200000 0.400000']
    """
    width, height = size
    lines = []
    for box in labels:
        role, xyxy = box.get("role"), box.get("xyxy") or []
        if role not in classes or len(xyxy) != 4:
            continue
        x1, x2 = (min(max(float(v), 0.0), width) for v in (xyxy[0], xyxy[2]))
        y1, y2 = (min(max(float(v), 0.0), height) for v in (xyxy[1], xyxy[3]))
        if x2 <= x1 or y2 <= y1:
            continue
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        w, h = (x2 - x1) / width, (y2 - y1) / height
        lines.append(f"{classes.index(role)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


def data_yaml(classes: Sequence[str]) -> str:
    """Ultralytics' dataset file: paths relative to the unzipped folder, names by index."""
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(classes))
    return f"path: .\ntrain: images/train\nval: images/val\nnames:\n{names}\n"


def export_yolo(session: Session, actor: Actor, filters: DatasetFilter) -> bytes:
    """A zip of ``images/{train,val}/*.jpg``, ``labels/{train,val}/*.txt`` and ``data.yaml``.

    A frame whose file is gone or damaged is skipped and counted like one never stored.
    """
    items, summary = _collect(session, actor, filters)
    settings = get_settings()
    out, written = io.BytesIO(), []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in items:
            try:
                data = attachments.read(item.frame, settings)
                with Image.open(io.BytesIO(data)) as image:
                    size = image.size
            except (attachments.AttachmentError, OSError):
                summary.skipped_no_frame += 1
                continue
            written.append(item)
            stem = f"v{item.violation.id}"
            lines = yolo_lines(item.violation.labels or [], filters.classes, size)
            zf.writestr(f"images/{item.split}/{stem}.jpg", data)
            zf.writestr(f"labels/{item.split}/{stem}.txt", "".join(f"{x}\n" for x in lines))
        zf.writestr("data.yaml", data_yaml(filters.classes))
    _count(written, filters.classes, summary)
    audit.record(
        session,
        actor,
        "video_dataset_export",
        table_name="video_violation",
        detail={
            "camera_id": filters.camera_id,
            "start": filters.start,
            "end": filters.end,
            "states": list(filters.states),
            "classes": list(filters.classes),
            "images": summary.images,
            "train": summary.train,
            "val": summary.val,
            "boxes": dict(summary.boxes),
            "skipped_no_frame": summary.skipped_no_frame,
        },
    )
    return out.getvalue()


def _frame(session: Session, violation: VideoViolation) -> bytes | None:
    frame = session.get(Attachment, violation.frame_id) if violation.frame_id else None
    if frame is None or frame.deleted_at is not None:
        return None
    try:
        return attachments.read(frame, get_settings())
    except attachments.AttachmentError:
        return None


def frame_image(session: Session, actor: Actor, violation_id: int) -> bytes | None:
    """The clean frame of a violation the actor may see; None when it has none or the file
    is gone."""
    return _frame(session, get_row(session, get_spec("video_violation"), actor, violation_id))


def frame_size(session: Session, violation: VideoViolation) -> tuple[int, int]:
    """The size the boxes are in: the clean frame's (a source may deliver another size than
    the camera row says), else the camera's."""
    data = _frame(session, violation)
    if data is not None:
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.size
        except OSError:
            pass
    camera = session.get(Camera, violation.camera_id)
    return (camera.frame_width, camera.frame_height) if camera else (1920, 1080)


def label_problem(box: Any, width: int, height: int) -> tuple[str, dict[str, Any]] | None:
    """Why ``box`` is not a usable label in a ``width`` × ``height`` frame, or None."""
    if not isinstance(box, dict) or box.get("role") not in LABEL_ROLES:
        role = box.get("role") if isinstance(box, dict) else None
        return "video_models.unknown_role", {"role": role}
    xyxy = box.get("xyxy")
    numbers = isinstance(xyxy, list | tuple) and len(xyxy) == 4
    if not numbers or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v == v for v in xyxy
    ):
        return "video_models.bad_box", {}
    x1, y1, x2, y2 = xyxy
    if not (x1 < x2 and y1 < y2):
        return "video_models.box_inverted", {}
    if min(x1, y1) < 0 or x2 > width or y2 > height:
        return "video_models.box_outside", {"width": width, "height": height}
    return None


def _number(value: Any) -> float | None:
    """A number from a label field; blanks (None, NaN from a table editor) are None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def relabel(
    session: Session, actor: Actor, violation_id: int, labels: Sequence[Any]
) -> VideoViolation:
    """Replace a violation's boxes after checking each one; reviewers only, audited.

    Boxes drawn by a person carry confidence 1 (they are ground truth, not a guess).
    """
    require_reviewer(actor)
    violation = get_row(session, get_spec("video_violation"), actor, violation_id)
    width, height = frame_size(session, violation)
    clean = []
    for number, box in enumerate(labels, start=1):
        problem = label_problem(box, width, height)
        if problem:
            raise LabelsRefused(problem[0], row=number, **problem[1])
        confidence, track = _number(box.get("confidence")), _number(box.get("track_id"))
        clean.append(
            {
                "role": box["role"],
                "xyxy": [round(float(v), 1) for v in box["xyxy"]],
                "confidence": min(max(confidence, 0.0), 1.0) if confidence is not None else 1.0,
                "track_id": int(track) if track is not None else None,
            }
        )
    before = list(violation.labels or [])
    violation.labels = clean
    violation.updated_at = utcnow()
    session.add(violation)
    session.flush()
    audit.record(
        session,
        actor,
        "video_relabel",
        table_name="video_violation",
        row_id=violation.id,
        enterprise_id=violation.enterprise_id,
        before={"labels": before},
        after={"labels": clean},
    )
    return violation
