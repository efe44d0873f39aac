"""PersonTracker (ByteTrack over persons, PPE attached to each) and the snapshot annotation."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
import supervision as sv

from detectors.annotate import annotate, jpeg, label_of, zone_label
from detectors.tracking import PersonTracker, attach_ppe
from detectors.types import Hit, ZoneSpec

# A person 100 wide and 300 tall; the head is the top ~35 %, the torso 20–75 %.
ALICE = (100.0, 100.0, 200.0, 400.0)
BOB = (300.0, 100.0, 400.0, 400.0)
ALICE_HEAD = (130.0, 100.0, 170.0, 140.0)
ALICE_HELMET = (128.0, 85.0, 172.0, 125.0)  # sticks out above the person box
BOB_HELMET = (328.0, 85.0, 372.0, 125.0)
ALICE_VEST = (110.0, 170.0, 190.0, 290.0)
ALICE_BOOTS = (110.0, 360.0, 190.0, 400.0)  # "vest" box on the legs: not worn


def boxes(*items: tuple[tuple[float, float, float, float], str, float]) -> sv.Detections:
    """Raw model output: box, role, confidence."""
    return sv.Detections(
        xyxy=np.array([box for box, _, _ in items], dtype=float),
        confidence=np.array([conf for _, _, conf in items]),
        class_id=np.zeros(len(items), dtype=int),
        data={"role": np.array([role for _, role, _ in items])},
    )


def shifted(box: tuple[float, float, float, float], dx: float) -> tuple[float, float, float, float]:
    return (box[0] + dx, box[1], box[2] + dx, box[3])


def flags(detections: sv.Detections) -> list[tuple[bool, bool, bool]]:
    data = detections.data
    return [
        (bool(v), bool(h), bool(s))
        for v, h, s in zip(data["head_visible"], data["has_helmet"], data["has_vest"], strict=True)
    ]


# PPE association ---------------------------------------------------------------------------


def test_helmet_on_the_head_vest_on_the_torso() -> None:
    persons = boxes((ALICE, "person", 0.9), (BOB, "person", 0.9))
    items = boxes((ALICE_HELMET, "helmet", 0.8), (ALICE_VEST, "vest", 0.7))
    assert flags(attach_ppe(persons, items)) == [(True, True, True), (False, False, False)]


def test_head_without_helmet_is_no_helmet() -> None:
    persons = boxes((ALICE, "person", 0.9))
    out = attach_ppe(persons, boxes((ALICE_HEAD, "head", 0.8)))
    assert flags(out) == [(True, False, False)]
    assert out.data["head_xyxy"].tolist() == [list(ALICE_HEAD)]
    assert "head_visible" not in persons.data  # the caller's detections are left alone


def test_items_in_the_wrong_place_belong_to_nobody() -> None:
    persons = boxes((ALICE, "person", 0.9))
    far_helmet = (500.0, 85.0, 540.0, 125.0)
    out = attach_ppe(persons, boxes((far_helmet, "helmet", 0.9), (ALICE_BOOTS, "vest", 0.9)))
    assert flags(out) == [(False, False, False)]
    assert np.isnan(out.data["head_xyxy"]).all()


def test_each_helmet_goes_to_its_own_person() -> None:
    persons = boxes((ALICE, "person", 0.9), (BOB, "person", 0.9))
    items = boxes((BOB_HELMET, "helmet", 0.9), (ALICE_HEAD, "head", 0.9))
    assert flags(attach_ppe(persons, items)) == [(True, False, False), (True, True, False)]


@pytest.mark.parametrize(
    ("helmet", "no_helmet", "has_helmet"),
    [(0.9, 0.4, True), (0.4, 0.9, False), (0.0, 0.8, False)],
)
def test_the_more_confident_of_helmet_and_no_helmet_wins(
    helmet: float, no_helmet: float, has_helmet: bool
) -> None:
    items = [(ALICE_HEAD, "no_helmet", no_helmet)]
    if helmet:
        items.append((ALICE_HELMET, "helmet", helmet))
    out = attach_ppe(boxes((ALICE, "person", 0.9)), boxes(*items))
    assert out.data["head_visible"].tolist() == [True]
    assert out.data["has_helmet"].tolist() == [has_helmet]


def test_no_vest_box_overrides_a_weaker_vest() -> None:
    items = boxes((ALICE_VEST, "vest", 0.5), (ALICE_VEST, "no_vest", 0.8))
    assert attach_ppe(boxes((ALICE, "person", 0.9)), items).data["has_vest"].tolist() == [False]


def test_head_always_visible_for_models_without_a_head_class() -> None:
    out = attach_ppe(boxes((ALICE, "person", 0.9)), sv.Detections.empty(), head_always_visible=True)
    assert flags(out) == [(True, False, False)]


# tracking ----------------------------------------------------------------------------------


def walk(
    tracker: PersonTracker,
    frames: int,
    *extra: tuple[tuple[float, float, float, float], str, float],
) -> list[sv.Detections]:
    """Alice and Bob walk right 5 px a frame, Alice with a helmet."""
    out = []
    for i in range(frames):
        dx = 5.0 * i
        out.append(
            tracker.update(
                boxes(
                    (shifted(ALICE, dx), "person", 0.9),
                    (shifted(ALICE_HELMET, dx), "helmet", 0.85),
                    (shifted(BOB, dx), "person", 0.8),
                    *extra,
                )
            )
        )
    return out


def test_tracks_persons_only_and_drops_unconfirmed() -> None:
    results = walk(PersonTracker(minimum_consecutive_frames=2), 4)
    assert [r.tracker_id.tolist() for r in results] == [[], [0, 1], [0, 1], [0, 1]]
    last = results[-1]
    assert last.data["role"].tolist() == ["person", "person"]
    assert last.xyxy[0].tolist() == list(shifted(ALICE, 15.0))
    assert flags(last) == [(True, True, False), (False, False, False)]


def test_a_newcomer_is_unconfirmed_at_first() -> None:
    tracker = PersonTracker()
    walk(tracker, 3)
    newcomer = (600.0, 100.0, 700.0, 400.0)
    first = tracker.update(boxes((shifted(ALICE, 15), "person", 0.9), (newcomer, "person", 0.9)))
    second = tracker.update(boxes((shifted(ALICE, 20), "person", 0.9), (newcomer, "person", 0.9)))
    assert first.tracker_id.tolist() == [0] and second.tracker_id.tolist() == [0, 2]


def test_low_confidence_person_does_not_start_a_track() -> None:
    tracker = PersonTracker(track_activation_threshold=0.5)
    results = [tracker.update(boxes((ALICE, "person", 0.3))) for _ in range(4)]
    assert all(len(r) == 0 for r in results)


def test_tracking_is_deterministic_and_reset_starts_over() -> None:
    one, two = PersonTracker(), PersonTracker()
    a, b = walk(one, 5), walk(two, 5)
    assert [r.tracker_id.tolist() for r in a] == [r.tracker_id.tolist() for r in b]
    assert all(
        np.array_equal(x.xyxy, y.xyxy) and flags(x) == flags(y) for x, y in zip(a, b, strict=True)
    )
    one.reset()
    assert [r.tracker_id.tolist() for r in walk(one, 3)] == [[], [0, 1], [0, 1]]


def test_empty_frames_are_fine() -> None:
    tracker = PersonTracker()
    for detections in (sv.Detections.empty(), boxes((ALICE_HELMET, "helmet", 0.9))):
        out = tracker.update(detections)
        assert len(out) == 0 and out.tracker_id is not None and "has_helmet" in out.data


# annotation --------------------------------------------------------------------------------


def tracked() -> sv.Detections:
    return attach_ppe(
        sv.Detections(
            xyxy=np.array([ALICE, BOB]),
            confidence=np.array([0.83, 0.9]),
            tracker_id=np.array([12, 13]),
            data={"role": np.array(["person", "person"])},
        ),
        boxes((ALICE_HEAD, "head", 0.8), (BOB_HELMET, "helmet", 0.9)),
    )


def hit_on(track_id: int | None, *box: tuple[float, float, float, float]) -> Hit:
    return Hit(1, 10, 1, "ppe_missing", track_id, 0.83, datetime(2026, 3, 2, tzinfo=UTC), 7, box)


def test_labels_are_ascii() -> None:
    people = tracked()
    assert [label_of(people, row) for row in range(2)] == [
        "#12 person no-helmet no-vest 0.83",
        "#13 person no-vest 0.90",
    ]
    assert zone_label(ZoneSpec(3, "基坑", "danger", ())) == "zone 3 danger"
    assert zone_label(ZoneSpec(3, "Pit A", "danger", ())) == "Pit A"


def test_annotate_keeps_the_size_and_marks_the_offender_red() -> None:
    frame = np.full((480, 640, 3), 40, dtype=np.uint8)
    zones = [ZoneSpec(1, "基坑", "danger", ((50, 50), (450, 50), (450, 450), (50, 450)))]
    out = annotate(frame, tracked(), zones, hit_on(12, ALICE))
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert (frame == 40).all()  # drawn on a copy
    red = (out[:, :, 2] > 200) & (out[:, :, 1] < 100) & (out[:, :, 0] < 100)
    green = (out[:, :, 1] > 150) & (out[:, :, 2] < 100)
    alice_edge, bob_edge = out[250, 100], out[250, 300]  # left edges of the two boxes
    assert red.any() and green.any()
    assert alice_edge[2] > 200 and alice_edge[1] < 100  # the offender: red
    assert bob_edge[1] > 150 and bob_edge[2] < 100  # the others: green


def test_annotate_a_zone_hit_and_a_lost_box() -> None:
    frame = np.zeros((300, 400, 3), dtype=np.uint8)
    out = annotate(frame, sv.Detections.empty(), [], hit_on(None, (10.0, 10.0, 60.0, 120.0)))
    assert out.shape == frame.shape and out[60, 10, 2] > 200


def test_jpeg_is_a_valid_image() -> None:
    frame = annotate(np.zeros((240, 320, 3), dtype=np.uint8), tracked(), [], None)
    data = jpeg(frame, quality=80)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == frame.shape
    assert len(jpeg(frame, quality=20)) < len(jpeg(frame, quality=95))


@pytest.mark.parametrize("module", ["tracking", "zones", "rules", "annotate"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"detectors.{module}"))
    assert result.attempted > 0 and result.failed == 0
