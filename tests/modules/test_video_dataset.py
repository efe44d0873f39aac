"""The flywheel's dataset: reviewed violations out as a YOLO zip (new and frameless rows
stay out, another enterprise's rows are never seen), and boxes fixed by a reviewer.

Cast (tests/factories.py): safety_head (video export, enterprise 1), inspector_a (reviews,
department A, no export grant), display (view only).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlmodel import Session, select

from core import attachments
from core.config import get_settings
from core.crud.service import NotFound
from core.rbac import PermissionDenied
from core.video.dataset import (
    DatasetFilter,
    LabelsRefused,
    export_yolo,
    preview,
    relabel,
    reviewed,
    split_of,
    yolo_lines,
)
from models.system import AuditEntry
from models.video import VideoViolation
from tests.factories import Org, make
from tests.modules.test_video_review import VideoWorld, build_video, violation

W, H = 640, 360
PERSON = {"role": "person", "xyxy": [100, 40, 200, 340], "confidence": 0.9, "track_id": 3}
HELMET = {"role": "helmet", "xyxy": [130, 40, 170, 80], "confidence": 0.8, "track_id": None}
HEAD = {"role": "head", "xyxy": [400, 60, 440, 100], "confidence": 0.7, "track_id": 4}
NO_HELMET = {"role": "no_helmet", "xyxy": [400, 60, 440, 100], "confidence": 0.6, "track_id": 4}


def frame_jpeg(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (W, H), colour).save(buf, "JPEG")
    return buf.getvalue()


def labelled(
    session: Session,
    world: VideoWorld,
    state: str,
    labels: list[dict],
    frame: bytes | None,
) -> VideoViolation:
    """A violation as the detector writes it now: clean frame attachment and every box."""
    row = violation(session, world, state=state)
    row.labels = labels
    if frame is not None:
        row.frame_id = attachments.store(
            session,
            data=frame,
            filename="frame.jpg",
            table_name="video_violation",
            row_id=row.id,
            enterprise_id=row.enterprise_id,
            actor_id=None,
            settings=get_settings(),
        ).id
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Set:
    confirmed: int
    confirmed2: int
    false_alarm: int
    new: int
    unframed: int
    other: int


@pytest.fixture
def data(session: Session, org: Org, settings) -> Set:
    """2 confirmed, 1 false alarm, 1 new, 1 confirmed without a frame, and a confirmed row of
    the other enterprise."""
    world = build_video(session, org)
    area = make(session, "area", name="化工罐区", enterprise_id=org.ent2, department_id=org.dept_e2)
    cam2 = make(session, "camera", name="罐区球机", area_id=area.id, source_uri="synthetic://demo")
    zone2 = make(session, "video_zone", camera_id=cam2.id, name="罐区", polygon=[[0, 0], [9, 0],
                 [9, 9]])  # fmt: skip
    rule2 = make(session, "video_rule", zone_id=zone2.id, name="闯入", kind="intrusion")
    other_world = VideoWorld(area.id, area.id, cam2.id, zone2.id, zone2.id, rule2.id, rule2.id,
                             rule2.id)  # fmt: skip
    return Set(
        labelled(session, world, "confirmed", [PERSON, HELMET], frame_jpeg((10, 10, 10))).id,
        labelled(session, world, "confirmed", [PERSON, HEAD], frame_jpeg((90, 90, 90))).id,
        labelled(session, world, "false_alarm", [HEAD, NO_HELMET], frame_jpeg((200, 0, 0))).id,
        labelled(session, world, "new", [PERSON], frame_jpeg((0, 200, 0))).id,
        labelled(session, world, "confirmed", [PERSON], None).id,
        labelled(session, other_world, "confirmed", [PERSON], frame_jpeg((0, 0, 200))).id,
    )


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _stems(zf: zipfile.ZipFile, folder: str) -> set[str]:
    return {n.rsplit("/", 1)[1].split(".")[0] for n in zf.namelist() if n.startswith(folder)}


def test_export_holds_reviewed_frames_with_yolo_labels(session, data, users) -> None:
    zf = _zip(export_yolo(session, users.safety_head, DatasetFilter()))
    images = _stems(zf, "images/")
    assert images == {f"v{data.confirmed}", f"v{data.confirmed2}", f"v{data.false_alarm}"}
    assert _stems(zf, "labels/") == images
    for name in [n for n in zf.namelist() if n.startswith("images/")]:
        _, split, file = name.split("/")
        assert split == split_of(hashlib.sha256(zf.read(name)).hexdigest())  # content decides
        assert f"labels/{split}/{file[:-4]}.txt" in zf.namelist()
    text = _label_text(zf, data.confirmed)
    assert text.splitlines() == [
        "0 0.234375 0.527778 0.156250 0.833333",
        "2 0.234375 0.166667 0.062500 0.111111",
    ]
    # the false alarm goes out as a hard negative: its head box only (no_helmet is no class)
    assert _label_text(zf, data.false_alarm).splitlines() == ["1 0.656250 0.222222 0.062500 "
                                                              "0.111111"]  # fmt: skip
    yaml = zf.read("data.yaml").decode()
    assert "path: .\ntrain: images/train\nval: images/val\n" in yaml
    assert "  0: person\n  1: head\n  2: helmet\n  3: vest\n" in yaml


def test_the_relabel_editor_offers_reviewed_rows_with_a_frame(session, data, users) -> None:
    offered = {row.id for row in reviewed(session, users.admin, DatasetFilter())}
    assert offered == {data.confirmed, data.confirmed2, data.false_alarm, data.other}


def _label_text(zf: zipfile.ZipFile, violation_id: int) -> str:
    (name,) = [n for n in zf.namelist() if n.endswith(f"/v{violation_id}.txt")]
    return zf.read(name).decode()


def test_counts_skips_and_audit(session, data, users) -> None:
    summary = preview(session, users.safety_head, DatasetFilter())
    assert (summary.images, summary.skipped_no_frame) == (3, 1)
    assert summary.train + summary.val == 3
    assert dict(summary.boxes) == {"person": 2, "helmet": 1, "head": 2}
    assert summary.boxes_dropped == 1  # the no_helmet box
    export_yolo(session, users.safety_head, DatasetFilter(states=("false_alarm",)))
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "video_dataset_export")
    ).one()
    assert entry.detail["images"] == 1 and entry.detail["skipped_no_frame"] == 0


def test_class_order_is_configurable(session, data, users) -> None:
    zf = _zip(export_yolo(session, users.safety_head, DatasetFilter(classes=("helmet", "person"))))
    assert _label_text(zf, data.confirmed).splitlines()[0].startswith("1 ")
    assert "  0: helmet\n  1: person\n" in zf.read("data.yaml").decode()


def test_a_shared_frame_goes_out_once(session, data, users, org) -> None:
    first = session.get(VideoViolation, data.confirmed)
    again = violation(session, build_video(session, org), state="confirmed")
    again.labels = [PERSON]
    again.frame_id = attachments.store(
        session, data=frame_jpeg((10, 10, 10)), filename="frame.jpg",
        table_name="video_violation", row_id=again.id, enterprise_id=again.enterprise_id,
        actor_id=None, settings=get_settings(),
    ).id  # fmt: skip
    session.add(again)
    session.flush()
    assert first.frame_id != again.frame_id
    summary = preview(session, users.safety_head, DatasetFilter())
    assert (summary.images, summary.duplicates) == (3, 1)


def test_export_is_scoped_and_needs_the_grant(session, data, users) -> None:
    zf = _zip(export_yolo(session, users.admin, DatasetFilter()))
    assert f"v{data.other}" in _stems(zf, "images/")  # admin reaches both enterprises
    zf = _zip(export_yolo(session, users.safety_head, DatasetFilter()))
    assert f"v{data.other}" not in _stems(zf, "images/")
    for actor in (users.inspector_a, users.display):
        with pytest.raises(PermissionDenied):
            export_yolo(session, actor, DatasetFilter())


def test_yolo_lines_clip_and_skip() -> None:
    boxes = [
        {"role": "person", "xyxy": [-10, 0, 50, 120]},  # clipped to the image
        {"role": "vest", "xyxy": [10, 10, 10, 20]},  # no width
        {"role": "dog", "xyxy": [1, 1, 5, 5]},
    ]
    assert yolo_lines(boxes, ["person", "vest"], (100, 100)) == [
        "0 0.250000 0.500000 0.500000 1.000000"
    ]


@pytest.mark.parametrize(
    ("box", "key"),
    [
        ({"role": "person", "xyxy": [600, 10, 700, 100]}, "video_models.box_outside"),
        ({"role": "person", "xyxy": [10, -1, 50, 100]}, "video_models.box_outside"),
        ({"role": "dog", "xyxy": [10, 10, 50, 100]}, "video_models.unknown_role"),
        ({"role": "ignore", "xyxy": [10, 10, 50, 100]}, "video_models.unknown_role"),
        ({"role": "head", "xyxy": [50, 10, 10, 100]}, "video_models.box_inverted"),
        ({"role": "head", "xyxy": [10, 10, None, 100]}, "video_models.bad_box"),
    ],
)
def test_relabel_refuses_bad_boxes(session, data, users, box: dict, key: str) -> None:
    with pytest.raises(LabelsRefused) as err:
        relabel(session, users.inspector_a, data.confirmed, [PERSON, box])
    assert err.value.key == key and err.value.params["row"] == 2
    assert session.get(VideoViolation, data.confirmed).labels == [PERSON, HELMET]


def test_relabel_saves_and_audits(session, data, users) -> None:
    fixed = [PERSON, {"role": "vest", "xyxy": [110, 150, 190, 260]}]
    row = relabel(session, users.inspector_a, data.false_alarm, fixed)
    assert row.labels[1] == {"role": "vest", "xyxy": [110.0, 150.0, 190.0, 260.0],
                             "confidence": 1.0, "track_id": None}  # fmt: skip
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "video_relabel")).one()
    assert entry.row_id == data.false_alarm and entry.before["labels"] == [HEAD, NO_HELMET]
    zf = _zip(export_yolo(session, users.safety_head, DatasetFilter()))
    assert _label_text(zf, data.false_alarm).splitlines()[1].startswith("3 ")


def test_relabel_is_for_reviewers_in_scope(session, data, users) -> None:
    with pytest.raises(PermissionDenied):
        relabel(session, users.display, data.confirmed, [PERSON])
    with pytest.raises(NotFound):
        relabel(session, users.inspector_b, data.confirmed, [PERSON])
