"""RuleEngine on hand-built tracked detections: each rule fires on exactly the frame it should.

Frames are 5 fps (0.2 s apart) from a fixed moment, so every threshold below is a frame number
that can be worked out by hand. Zone 1 is the square (0, 0)–(200, 200); a person box counts as
inside when its bottom centre is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import supervision as sv

from detectors.rules import RuleEngine, in_hours
from detectors.types import CameraSpec, Hit, RuleSpec, ZoneSpec
from detectors.zones import Zones, build_zone

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SQUARE = ((0, 0), (200, 0), (200, 200), (0, 200))
INSIDE = (50.0, 40.0, 90.0, 150.0)
INSIDE_2 = (100.0, 40.0, 140.0, 150.0)
INSIDE_3 = (150.0, 40.0, 190.0, 150.0)
INSIDE_4 = (10.0, 40.0, 45.0, 150.0)
OUTSIDE = (300.0, 40.0, 340.0, 150.0)
HEAD_IN_FEET_OUT = (50.0, 150.0, 90.0, 260.0)  # top inside the square, feet below it


def at(frame: int) -> datetime:
    return T0 + timedelta(milliseconds=200 * frame)


def person(
    tid: int,
    box: tuple[float, float, float, float] = INSIDE,
    conf: float = 0.9,
    *,
    helmet: bool = True,
    vest: bool = True,
    head: bool = True,
    role: str = "person",
) -> dict[str, Any]:
    return {
        "tid": tid,
        "box": box,
        "conf": conf,
        "helmet": helmet,
        "vest": vest,
        "head": head,
        "role": role,
    }


def frame(*people: dict[str, Any]) -> sv.Detections:
    """Tracked detections as PersonTracker hands them over."""
    if not people:
        return sv.Detections.empty()
    return sv.Detections(
        xyxy=np.array([p["box"] for p in people], dtype=float),
        confidence=np.array([p["conf"] for p in people]),
        tracker_id=np.array([p["tid"] for p in people]),
        data={
            "role": np.array([p["role"] for p in people]),
            "head_visible": np.array([p["head"] for p in people]),
            "has_helmet": np.array([p["helmet"] for p in people]),
            "has_vest": np.array([p["vest"] for p in people]),
        },
    )


def camera(*rules: RuleSpec, zones: tuple[ZoneSpec, ...] | None = None) -> CameraSpec:
    zones = zones or (ZoneSpec(1, "pit", "danger", SQUARE),)
    return CameraSpec(
        1, "gate", None, None, None, "synthetic://demo", 5, 400, 300, {}, zones, rules, "v1"
    )


def rule(kind: str, params: dict[str, Any] | None = None, **kwargs: Any) -> RuleSpec:
    return RuleSpec(
        id=kwargs.pop("id", 10), zone_id=1, name=kind, kind=kind, params=params or {}, **kwargs
    )


def run(
    engine: RuleEngine, frames: list[sv.Detections], start: int = 0, **kwargs: Any
) -> dict[int, list[Hit]]:
    """Feed frames from frame number ``start``; return the hits by frame number."""
    out = {}
    for offset, detections in enumerate(frames):
        index = start + offset
        hits = engine.update(detections, at(index), index, **kwargs)
        if hits:
            out[index] = hits
    return out


# intrusion ---------------------------------------------------------------------------------


def test_intrusion_fires_after_min_frames_not_before() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3)))
    hits = run(engine, [frame(person(5))] * 6)
    assert list(hits) == [2]  # third consecutive frame; then the cooldown holds it back
    (hit,) = hits[2]
    assert (hit.kind, hit.track_id, hit.zone_id, hit.rule_id, hit.frame_index) == (
        "intrusion",
        5,
        1,
        10,
        2,
    )
    assert hit.at == at(2) and hit.boxes == (INSIDE,) and hit.confidence == 0.9
    assert hit.key == f"1:10:t5:{at(2).isoformat()}"


def test_person_outside_or_only_head_over_the_zone_is_not_an_intruder() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=1)))
    assert run(engine, [frame(person(1, OUTSIDE), person(2, HEAD_IN_FEET_OUT))] * 5) == {}


def test_inertia_a_broken_streak_starts_again() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3)))
    seen = [frame(person(5)), frame(person(5)), frame(person(5, OUTSIDE))] + [frame(person(5))] * 3
    assert list(run(engine, seen)) == [5]


def test_a_missed_detection_neither_counts_nor_breaks_the_streak() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3)))
    seen = [frame(person(5)), frame(person(5)), frame(), frame(person(5))]
    assert list(run(engine, seen)) == [3]


def test_a_track_gone_longer_than_max_gap_starts_again() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3)), max_gap_s=0.5)
    seen = [frame(person(5))] * 2 + [frame()] * 3 + [frame(person(5))] * 3
    assert list(run(engine, seen)) == [7]


def test_cooldown_second_violation_only_after_cooldown() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3, cooldown_s=10)))
    hits = run(engine, [frame(person(5))] * 60)
    # First at frame 2 (0.4 s); the next at the first frame 10 s later: 10.4 s = frame 52.
    assert list(hits) == [2, 52]


def test_cooldown_is_per_track() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=1, cooldown_s=60)))
    hits = run(engine, [frame(person(1))] * 3 + [frame(person(1), person(2, INSIDE_2))] * 3)
    assert {i: [h.track_id for h in hs] for i, hs in hits.items()} == {0: [1], 3: [2]}


def test_leaving_and_re_entering() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=2, cooldown_s=4)), max_gap_s=0.5)
    inside, outside = frame(person(5)), frame(person(5, OUTSIDE))
    # in (fires at 1), out, back in within the cooldown: no second violation.
    assert list(run(engine, [inside] * 3 + [outside] * 2 + [inside] * 3)) == [1]
    # Seen outside until the cooldown (4 s after frame 1 = frame 21) is long over, then back:
    # the streak starts from scratch, so it fires on the second frame back.
    assert list(run(engine, [outside] * 20 + [inside] * 3, start=8)) == [29]


def test_allowed_people_are_the_first_ones_in() -> None:
    engine = RuleEngine(camera(rule("intrusion", {"allowed_people": 1}, min_frames=1)))
    hits = run(engine, [frame(person(1))] * 2 + [frame(person(1), person(2, INSIDE_2))])
    assert {i: [h.track_id for h in hs] for i, hs in hits.items()} == {2: [2]}


@pytest.mark.parametrize(
    ("unless_permit", "permits", "fires"),
    [
        (True, {1: 42}, False),  # a running permit covers the pit: the crew may be there
        (True, {}, True),
        (True, {2: 42}, True),  # a permit for another zone lifts nothing here
        (False, {1: 42}, True),  # the rule does not care about permits
    ],
)
def test_intrusion_lifted_while_a_permit_runs(
    unless_permit: bool, permits: dict[int, int], fires: bool
) -> None:
    params = {"unless_permit": unless_permit}
    engine = RuleEngine(camera(rule("intrusion", params, min_frames=1)))
    hits = run(engine, [frame(person(5))], context={"permits": permits})
    assert bool(hits) is fires


def test_hits_in_a_permit_zone_name_the_permit() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", min_frames=1)))
    (hit,) = run(engine, [frame(person(5, helmet=False))], context={"permits": {1: 42}})[0]
    assert hit.permit_id == 42
    (other,) = run(engine, [frame(person(6, INSIDE_2, helmet=False))], start=1)[1]
    assert other.permit_id is None


def test_guardian_post_counts_only_while_its_permit_runs() -> None:
    """A post rule with while_permit is a permit's guardian post: empty without a permit is
    fine; once the permit runs, the post empty for 1 s fires, naming the permit."""
    params = {"while_permit": True, "seconds": 1, "min_people": 1}
    engine = RuleEngine(camera(rule("post_unstaffed", params, min_frames=1)))
    assert run(engine, [frame()] * 10) == {}
    running = {"permits": {1: 42}}
    hits = run(engine, [frame()] * 10, start=10, context=running)
    assert list(hits) == [15]
    assert hits[15][0].permit_id == 42 and hits[15][0].track_id is None
    # The permit is suspended (no longer running): the empty post stops counting.
    assert run(engine, [frame()] * 10, start=20) == {}


def test_intrusion_permitted_hours_in_site_time() -> None:
    from zoneinfo import ZoneInfo

    # 08:00 UTC is 16:00 in Shanghai: inside the 08–17 working window, outside it in UTC terms.
    params = {"permitted_hours": [[8.5, 17]]}
    shanghai = RuleEngine(
        camera(rule("intrusion", params, min_frames=1)), tz=ZoneInfo("Asia/Shanghai")
    )
    utc = RuleEngine(camera(rule("intrusion", params, min_frames=1)))
    assert run(shanghai, [frame(person(5))]) == {}
    assert list(run(utc, [frame(person(5))])) == [0]


def test_in_hours_wraps_midnight() -> None:
    night = [[22, 6]]
    assert in_hours(night, T0.replace(hour=23)) and in_hours(night, T0.replace(hour=5, minute=59))
    assert not in_hours(night, T0.replace(hour=6)) and not in_hours(night, T0.replace(hour=12))
    assert in_hours([[0, 24]], T0.replace(hour=23, minute=59))


# confidence and what counts as a person ------------------------------------------------------


def test_confidence_below_min_confidence_is_ignored() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=1, min_confidence=0.5)))
    assert run(engine, [frame(person(5, conf=0.49))] * 3) == {}
    assert list(run(engine, [frame(person(5, conf=0.5))], start=3)) == [3]


def test_a_low_confidence_frame_breaks_the_streak() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=3, min_confidence=0.5)))
    seen = [frame(person(5)), frame(person(5)), frame(person(5, conf=0.3))] + [frame(person(5))] * 3
    assert list(run(engine, seen)) == [5]


def test_unconfirmed_tracks_and_other_roles_are_ignored() -> None:
    engine = RuleEngine(
        camera(rule("intrusion", min_frames=1), rule("overcrowd", {"max_people": 0}, id=11))
    )
    assert run(engine, [frame(person(-1), person(3, INSIDE_2, role="helmet"))] * 3) == {}


def test_untracked_detections_are_refused() -> None:
    engine = RuleEngine(camera(rule("intrusion")))
    untracked = sv.Detections(xyxy=np.array([INSIDE]), confidence=np.array([0.9]))
    with pytest.raises(ValueError, match="tracker_id"):
        engine.update(untracked, at(0), 0)


# dwell -------------------------------------------------------------------------------------


def test_dwell_fires_at_the_threshold_not_a_frame_earlier() -> None:
    engine = RuleEngine(camera(rule("dwell", {"seconds": 2}, min_frames=3)))
    hits = run(engine, [frame(person(5))] * 15)
    assert list(hits) == [10]  # inside since frame 0 (t=0); t=2.0 s is frame 10
    assert hits[10][0].track_id == 5


def test_dwell_restarts_when_the_person_leaves() -> None:
    engine = RuleEngine(camera(rule("dwell", {"seconds": 2}, min_frames=1)))
    seen = [frame(person(5))] * 8 + [frame(person(5, OUTSIDE))] + [frame(person(5))] * 12
    assert list(run(engine, seen)) == [19]  # back in at frame 9, 2 s later is frame 19


def test_dwell_is_per_track() -> None:
    engine = RuleEngine(camera(rule("dwell", {"seconds": 1}, min_frames=1)))
    seen = [frame(person(1))] * 3 + [frame(person(1), person(2, INSIDE_2))] * 6
    hits = run(engine, seen)
    assert {i: [h.track_id for h in hs] for i, hs in hits.items()} == {5: [1], 8: [2]}


# overcrowd ---------------------------------------------------------------------------------


def test_overcrowd_fires_when_count_exceeds_max_people() -> None:
    engine = RuleEngine(camera(rule("overcrowd", {"max_people": 2}, min_frames=2)))
    two = frame(person(1), person(2, INSIDE_2), person(9, OUTSIDE))
    three = frame(person(1, conf=0.9), person(2, INSIDE_2, conf=0.8), person(3, INSIDE_3, conf=0.7))
    hits = run(engine, [two] * 3 + [three] * 3)
    assert list(hits) == [4]
    (hit,) = hits[4]
    assert hit.track_id is None and hit.kind == "overcrowd"
    assert hit.boxes == (INSIDE, INSIDE_2, INSIDE_3)
    assert hit.confidence == 0.7  # the third person is what makes it a crowd
    assert hit.key == f"1:10:zone:{at(4).isoformat()}"


def test_overcrowd_counts_only_confident_people() -> None:
    engine = RuleEngine(
        camera(rule("overcrowd", {"max_people": 2}, min_frames=1, min_confidence=0.5))
    )
    crowd = frame(person(1), person(2, INSIDE_2), person(3, INSIDE_3, conf=0.3))
    assert run(engine, [crowd] * 3) == {}
    assert list(
        run(
            engine,
            [frame(person(1), person(2, INSIDE_2), person(3, INSIDE_3), person(4, INSIDE_4))],
            3,
        )
    ) == [3]


def test_overcrowd_cooldown_is_per_zone() -> None:
    engine = RuleEngine(camera(rule("overcrowd", {"max_people": 1}, min_frames=1, cooldown_s=2)))
    assert list(run(engine, [frame(person(1), person(2, INSIDE_2))] * 12)) == [0, 10]


# post unstaffed ----------------------------------------------------------------------------


def test_post_unstaffed_after_seconds_without_anyone() -> None:
    engine = RuleEngine(
        camera(rule("post_unstaffed", {"seconds": 2, "min_people": 1}, min_frames=3))
    )
    staffed, empty = frame(person(1)), frame(person(9, OUTSIDE))
    hits = run(engine, [staffed] * 3 + [empty] * 12)
    assert list(hits) == [13]  # nobody from frame 3; 2 s later is frame 13
    (hit,) = hits[13]
    assert hit.track_id is None and hit.boxes == () and hit.kind == "post_unstaffed"


def test_post_staffed_again_resets_the_clock() -> None:
    engine = RuleEngine(camera(rule("post_unstaffed", {"seconds": 2}, min_frames=1)))
    staffed, empty = frame(person(1)), frame()
    assert list(run(engine, [empty] * 9 + [staffed] + [empty] * 11)) == [20]


def test_post_needs_min_people() -> None:
    engine = RuleEngine(
        camera(rule("post_unstaffed", {"seconds": 1, "min_people": 2}, min_frames=1))
    )
    hits = run(engine, [frame(person(1))] * 6)
    assert list(hits) == [5] and hits[5][0].boxes == (INSIDE,)


def test_post_unstaffed_only_within_hours() -> None:
    params = {"seconds": 1, "hours": [[20, 6]]}  # frames are at 08:00 UTC
    engine = RuleEngine(camera(rule("post_unstaffed", params, min_frames=1)))
    assert run(engine, [frame()] * 20) == {}


# PPE ---------------------------------------------------------------------------------------


def test_ppe_with_and_without_helmet() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", {"require": ["helmet"]}, min_frames=3)))
    seen = frame(
        person(1, helmet=True),
        person(2, INSIDE_2, helmet=False),
        person(3, INSIDE_3, helmet=False, head=False),
    )
    hits = run(engine, [seen] * 4)
    assert {i: [h.track_id for h in hs] for i, hs in hits.items()} == {2: [2]}
    assert hits[2][0].kind == "ppe_missing" and hits[2][0].boxes == (INSIDE_2,)


def test_ppe_vest_required() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", {"require": ["helmet", "vest"]}, min_frames=1)))
    seen = frame(
        person(1), person(2, INSIDE_2, vest=False), person(3, INSIDE_3, head=False, vest=True)
    )
    assert [h.track_id for h in engine.update(seen, at(0), 0)] == [2]


def test_ppe_outside_the_zone_or_unsure_is_not_judged() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", min_frames=1, min_confidence=0.6)))
    seen = frame(person(1, OUTSIDE, helmet=False), person(2, INSIDE_2, conf=0.55, helmet=False))
    assert run(engine, [seen] * 3) == {}


def test_ppe_putting_the_helmet_on_ends_the_streak() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", min_frames=3)))
    bare, covered = frame(person(1, helmet=False)), frame(person(1))
    assert run(engine, [bare, bare, covered, bare, bare]) == {}


def test_ppe_needs_the_tracker_flags() -> None:
    engine = RuleEngine(camera(rule("ppe_missing", min_frames=1)))
    plain = sv.Detections(
        xyxy=np.array([INSIDE]), confidence=np.array([0.9]), tracker_id=np.array([1])
    )
    with pytest.raises(ValueError, match="PersonTracker"):
        engine.update(plain, at(0), 0)


# engine housekeeping -----------------------------------------------------------------------


def test_lost_tracks_are_forgotten_once_their_cooldown_is_over() -> None:
    engine = RuleEngine(camera(rule("intrusion", min_frames=1, cooldown_s=2)), max_gap_s=0.4)
    run(engine, [frame(person(1), person(2, OUTSIDE))] + [frame()] * 3)
    assert set(engine._tracks[10]) == {1}  # 2 is gone and never fired; 1 still cooling down
    run(engine, [frame()] * 10, start=4)
    assert engine._tracks[10] == {} and engine._last_seen == {}
    assert all(entered == {} for entered in engine._entered.values())


def test_several_rules_and_zones_in_rule_order() -> None:
    zones = (
        ZoneSpec(1, "pit", "danger", SQUARE),
        ZoneSpec(2, "yard", "ppe_required", ((0, 0), (400, 0), (400, 300), (0, 300))),
    )
    rules = (
        RuleSpec(21, 2, "helmets", "ppe_missing", {"require": ["helmet"]}, min_frames=1),
        RuleSpec(20, 1, "keep out", "intrusion", {}, min_frames=1),
    )
    engine = RuleEngine(camera(*rules, zones=zones))
    hits = engine.update(frame(person(4, OUTSIDE, helmet=False), person(3)), at(0), 0)
    assert [(h.rule_id, h.zone_id, h.track_id) for h in hits] == [(21, 2, 4), (20, 1, 3)]


def test_replay_gives_the_same_hits() -> None:
    spec = camera(
        rule("intrusion", min_frames=2, cooldown_s=1),
        rule("dwell", {"seconds": 1}, id=11, min_frames=1),
        rule("overcrowd", {"max_people": 1}, id=12),
    )
    seen = [frame(person(1), person(2, INSIDE_2 if i % 7 else OUTSIDE)) for i in range(30)]
    assert run(RuleEngine(spec), seen) == run(RuleEngine(spec), seen)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (replace(rule("intrusion"), zone_id=99), "zone 99"),
        (rule("ppe_missing", {"require": ["gloves"]}), "gloves"),
        (rule("teleport"), "unknown kind"),
    ],
)
def test_configuration_errors_are_named(bad: RuleSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RuleEngine(camera(bad))


# zones -------------------------------------------------------------------------------------


def test_zones_use_the_bottom_centre() -> None:
    zones = Zones.from_specs(
        [
            ZoneSpec(1, "pit", "danger", SQUARE),
            ZoneSpec(2, "far", "post", ((250, 0), (400, 0), (400, 300), (250, 300))),
        ]
    )
    seen = frame(person(1), person(2, HEAD_IN_FEET_OUT), person(3, OUTSIDE))
    assert zones.occupants(seen) == {1: (1,), 2: (3,)}
    assert [mask.tolist() for mask in zones.trigger(seen).values()] == [
        [True, False, False],
        [False, False, True],
    ]
    assert zones.occupants(sv.Detections.empty()) == {1: (), 2: ()}


@pytest.mark.parametrize("polygon", [((0, 0), (10, 10)), ((0, 0), (-5, 10), (10, 10))])
def test_bad_polygons_are_named(polygon: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(ValueError, match="zone 4"):
        build_zone(ZoneSpec(4, "bad", "danger", polygon))
