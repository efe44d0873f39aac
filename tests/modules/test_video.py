"""AI video: reference lists, configuration checks, and the demo cameras and violations."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from core.crud.registry import get_spec
from core.crud.service import ValidationFailed, create_row
from core.rbac import SYSTEM
from core.video.rules import (
    false_alarm_share,
    format_hours,
    parse_hours,
    polygon_area,
    polygon_problem,
    rule_params,
    source_type,
)
from detectors.layout import layout_zones, scene_layout
from models.org import Area
from models.video import (
    Camera,
    RuleKind,
    VideoClassRole,
    VideoRule,
    VideoRuleKind,
    VideoViolation,
    VideoZone,
    ViolationState,
)
from tests.modules.conftest import TODAY

S_COUNTS = {"camera": 36, "video_zone": 108, "video_rule": 132, "video_violation": 9000}


def test_reference_lists(demo_session) -> None:
    kinds = {k.code: k for k in demo_session.exec(select(VideoRuleKind)).all()}
    assert set(kinds) == {k.value for k in RuleKind}
    assert kinds["overcrowd"].params_schema["max_people"]["default"] == 3
    roles = {r.code: r.role for r in demo_session.exec(select(VideoClassRole)).all()}
    assert len(roles) == 8
    assert roles["coco:person"] == "person"
    assert roles["ppe:head"] == "head" and roles["ppe:hardhat"] == "helmet"


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("rtsp://10.0.0.8:554/ch1", "stream"),
        ("synthetic://production?seed=1", "synthetic"),
        ("0", "webcam"),
        ("/data/video/gate.mp4", "file"),
    ],
)
def test_source_type(uri: str, kind: str) -> None:
    assert source_type(uri) == kind


@pytest.mark.parametrize(
    ("polygon", "problem"),
    [
        ([[0, 0], [1920, 0], [1920, 1080]], None),
        ([[0, 0], [100, 0]], "validation.video.polygon_points"),
        ([[0, 0], [100, 100], [200, 200]], "validation.video.polygon_points"),  # no area
        ([[0, 0], [2000, 0], [100, 500]], "validation.video.polygon_outside"),
        ([[0, 0], [10, "x"], [100, 500]], "validation.video.polygon_points"),
        (None, "validation.video.polygon_points"),
    ],
)
def test_polygon_checks(polygon, problem) -> None:
    assert polygon_problem(polygon, 1920, 1080) == problem


def test_rule_params_fill_defaults_and_flag_bad_types() -> None:
    schema = {"max_people": {"type": "int", "default": 3}, "seconds": {"type": "int"}}
    assert rule_params({"seconds": 60}, schema) == ({"max_people": 3, "seconds": 60}, [])
    assert rule_params({"max_people": "多"}, schema)[1] == ["max_people", "seconds"]
    assert rule_params({"seconds": True}, schema)[1] == ["seconds"]


def test_forms_fill_config_and_refuse_zones_outside_the_frame(demo_session) -> None:
    area = demo_session.exec(select(Area)).first()
    camera = create_row(
        demo_session,
        get_spec("camera"),
        SYSTEM,
        {"name": "测试摄像头", "area_id": area.id, "source_uri": "rtsp://x/1"},
    )
    assert camera.enterprise_id == area.enterprise_id
    assert camera.detector_config["classes"] == {"person": "person"}
    zone_spec = get_spec("video_zone")
    zone = create_row(
        demo_session, zone_spec, SYSTEM,
        {"name": "禁区", "camera_id": camera.id, "polygon": "[[10,10],[500,10],[500,400]]"},
    )  # fmt: skip
    assert zone.area_id == area.id
    with pytest.raises(ValidationFailed) as err:
        create_row(
            demo_session, zone_spec, SYSTEM,
            {"name": "越界", "camera_id": camera.id, "polygon": [[0, 0], [1921, 0], [5, 5]]},
        )  # fmt: skip
    assert err.value.problems[0].key == "validation.video.polygon_outside"
    rule = create_row(
        demo_session, get_spec("video_rule"), SYSTEM,
        {"name": "超员", "zone_id": zone.id, "kind": "overcrowd", "min_confidence": 0.5},
    )  # fmt: skip
    assert rule.params == {"max_people": 3}
    violation = create_row(
        demo_session, get_spec("video_violation"), SYSTEM,
        {"camera_id": camera.id, "rule_id": rule.id, "occurred_at": "2026-11-01T08:00:00+00:00",
         "confidence": 0.9},
    )  # fmt: skip
    assert (violation.zone_id, violation.rule_kind) == (zone.id, RuleKind.OVERCROWD)


def _count(session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_counts_at_s(demo_session, run_generator) -> None:
    assert run_generator("video") == S_COUNTS
    assert _count(demo_session, Camera, Camera.code.startswith("HD-")) == 24
    synthetic = _count(demo_session, Camera, Camera.source_uri.startswith("synthetic://"))
    assert synthetic == S_COUNTS["camera"]
    per_camera = demo_session.exec(
        select(func.count()).select_from(VideoZone).group_by(VideoZone.camera_id)
    ).all()
    assert min(per_camera) >= 2 and max(per_camera) <= 4


def test_demo_polygons_lie_inside_the_frame(demo_session, run_generator) -> None:
    run_generator("video")
    for zone, width, height in demo_session.exec(
        select(VideoZone, Camera.frame_width, Camera.frame_height).join(Camera)
    ).all():
        assert polygon_problem(zone.polygon, width, height) is None, zone.name
        assert polygon_area([tuple(p) for p in zone.polygon]) > 1000


def test_demo_zones_outline_what_the_synthetic_camera_shows(demo_session, run_generator) -> None:
    """A demo detector run finds people in the zones: each zone is the scene's own area of
    its kind (the danger zone is the hatched floor, the post is where the guard stands)."""
    run_generator("video")
    rows = demo_session.exec(select(VideoZone, Camera).join(Camera)).all()
    for zone, camera in rows:
        layout = scene_layout(camera.source_uri)
        sx, sy = camera.frame_width / layout.width, camera.frame_height / layout.height
        kind = "danger" if zone.kind == "restricted" else zone.kind
        expected = next(z for z in layout_zones(layout) if z.kind == kind).polygon
        assert zone.polygon == [[round(x * sx), round(y * sy)] for x, y in expected], zone.name


def test_demo_violations_look_like_a_plant(demo_session, run_generator) -> None:
    run_generator("video")
    by_state = dict(
        demo_session.exec(
            select(VideoViolation.state, func.count()).group_by(VideoViolation.state)
        ).all()
    )
    share = false_alarm_share(
        by_state[ViolationState.CONFIRMED], by_state[ViolationState.FALSE_ALARM]
    )
    assert 0.02 <= share <= 0.04, share
    assert by_state[ViolationState.NEW] < 0.01 * sum(by_state.values())
    by_kind = dict(
        demo_session.exec(
            select(VideoViolation.rule_kind, func.count()).group_by(VideoViolation.rule_kind)
        ).all()
    )
    ranked = sorted(by_kind, key=by_kind.get, reverse=True)
    assert ranked[0] == RuleKind.PPE_MISSING and len(ranked) == len(RuleKind)
    assert by_kind[RuleKind.PPE_MISSING] > 0.4 * sum(by_kind.values())
    rows = demo_session.exec(select(VideoViolation).limit(500)).all()
    for v in rows:
        rule = demo_session.get(VideoRule, v.rule_id)
        assert rule.kind == v.rule_kind and rule.zone_id == v.zone_id
        assert v.occurred_at.date() <= TODAY
    main = demo_session.exec(
        select(func.count()).select_from(VideoViolation).join(Camera)
        .where(Camera.code.startswith("HD"))
    ).one()  # fmt: skip
    assert main > 0.7 * S_COUNTS["video_violation"]


def test_demo_has_more_alarms_at_shift_changes(demo_session, run_generator) -> None:
    run_generator("video")
    hours = [v.hour for v in demo_session.exec(select(VideoViolation.occurred_at)).all()]
    # Beijing 08:00 and 16:00 are 00:00 and 08:00 UTC; 13:00 Beijing (05:00 UTC) is quiet
    assert hours.count(0) > 1.5 * hours.count(5) and hours.count(8) > 1.5 * hours.count(5)


def _snapshot(session) -> list[tuple]:
    out = []
    for model in (Camera, VideoZone, VideoRule, VideoViolation):
        for row in session.exec(select(model).order_by(model.id)).all():
            data = row.model_dump(exclude={"created_at", "updated_at"})
            out.append((model.__name__, repr(sorted(data.items(), key=lambda kv: kv[0]))))
    return out


def test_same_seed_gives_the_same_rows(demo_session, run_generator) -> None:
    savepoint = demo_session.begin_nested()
    run_generator("video")
    first = _snapshot(demo_session)
    savepoint.rollback()
    savepoint = demo_session.begin_nested()
    run_generator("video")
    assert _snapshot(demo_session) == first
    savepoint.rollback()


def test_hour_windows_are_read_from_text_and_checked() -> None:
    assert parse_hours("8-17，22:30-6") == [[8, 17], [22.5, 6]]
    assert parse_hours(" ") == []
    assert format_hours([[8, 17], [22.5, 6]]) == "8-17, 22:30-6"
    for text in ("8", "8-25", "早-晚", "8-8", "1-2-3", "8:75-9"):
        with pytest.raises(ValueError):
            parse_hours(text)
    schema = {"hours": {"type": "list", "format": "hours", "default": [[0, 24]]}}
    assert rule_params({}, schema) == ({"hours": [[0, 24]]}, [])
    assert rule_params({"hours": [[8, 30]]}, schema)[1] == ["hours"]
    assert rule_params({"hours": [8, 17]}, schema)[1] == ["hours"]
