"""Reviewing AI-video violations: confirm / false alarm once, in scope, audited, and a
confirmation that opens a hazard with the snapshot in the zone's (or camera's) area.

Cast (tests/factories.py): inspector_a (video approve, department A), inspector_b (department
B), safety_head (enterprise 1), display (view only), employee_a (no video grant).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import Session, select

from analytics.video_stats import VideoQuery, review_rate
from core import attachments
from core.config import get_settings
from core.crud.service import NotFound
from core.rbac import SYSTEM, PermissionDenied
from core.video.review import ReviewRefused, feed, review, snapshot_image
from core.workflow import events
from models.hazard import Hazard, HazardSource
from models.system import Attachment, AuditEntry
from models.video import VideoViolation, ViolationState
from tests.factories import Org, make

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 Beijing


@dataclass(frozen=True)
class VideoWorld:
    area: int
    zone_area: int
    camera: int
    zone: int
    bare_zone: int
    rule: int
    auto_rule: int
    bare_rule: int


def jpeg(colour: tuple[int, int, int] = (180, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (96, 54), colour).save(buf, "JPEG")
    return buf.getvalue()


def build_video(session: Session, org: Org, department_id: int | None = None) -> VideoWorld:
    """A camera in department A's workshop with two zones (one in its own area) and rules."""
    dept = department_id or org.dept_a
    area = make(session, "area", name="机加工车间", enterprise_id=org.ent1, department_id=dept)
    zone_area = make(session, "area", name="冲压线", enterprise_id=org.ent1, department_id=dept)
    camera = make(
        session,
        "camera",
        name="1号车间枪机",
        area_id=area.id,
        source_uri="synthetic://demo",
        status="running",
    )
    square = [[100, 100], [900, 100], [900, 700], [100, 700]]
    zone = make(session, "video_zone", camera_id=camera.id, name="冲压危险区",
                polygon=square, area_id=zone_area.id)  # fmt: skip
    bare_zone = make(session, "video_zone", camera_id=camera.id, name="通道", polygon=square)
    bare = session.get(type(bare_zone), bare_zone.id)
    bare.area_id = None  # a zone without its own area: the camera's area applies
    session.add(bare)
    session.flush()
    rule = make(session, "video_rule", zone_id=zone.id, name="未戴安全帽", kind="ppe_missing")
    auto = make(session, "video_rule", zone_id=zone.id, name="闯入", kind="intrusion",
                auto_hazard=True)  # fmt: skip
    bare_rule = make(session, "video_rule", zone_id=bare_zone.id, name="滞留", kind="dwell")
    return VideoWorld(area.id, zone_area.id, camera.id, zone.id, bare_zone.id, rule.id, auto.id,
                      bare_rule.id)  # fmt: skip


def violation(
    session: Session, world: VideoWorld, rule_id: int | None = None, *, snapshot: bool = False,
    at: datetime = T0, state: str = "new", **values
) -> VideoViolation:  # fmt: skip
    row = make(
        session,
        "video_violation",
        camera_id=world.camera,
        rule_id=rule_id or world.rule,
        occurred_at=at,
        track_id=7,
        confidence=0.91,
        boxes=[{"xyxy": [300, 200, 380, 440], "role": "head", "conf": 0.91, "track_id": 7}],
        **values,
    )
    v = session.get(VideoViolation, row.id)
    v.state = state
    if snapshot:
        item = attachments.store(
            session,
            data=jpeg(),
            filename="snapshot.jpg",
            table_name="video_violation",
            row_id=v.id,
            enterprise_id=v.enterprise_id,
            actor_id=None,
            settings=get_settings(),
        )
        v.snapshot_id = item.id
    session.add(v)
    session.flush()
    return v


@pytest.fixture
def vw(session: Session, org: Org, settings) -> VideoWorld:
    return build_video(session, org)


def test_confirm_records_reviewer_and_audit(session, vw, users) -> None:
    v = violation(session, vw)
    row = review(session, users.inspector_a, v.id, "confirmed", "  确认未戴帽 ")
    assert row.state == ViolationState.CONFIRMED
    assert row.reviewed_by == users.inspector_a.user_id and row.reviewed_at is not None
    assert row.review_comment == "确认未戴帽" and row.hazard_id is None  # rule not auto_hazard
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "video_review", AuditEntry.row_id == v.id)
    ).one()
    assert entry.after["state"] == "confirmed" and entry.before["state"] == "new"


def test_false_alarm_needs_a_reason(session, vw, users) -> None:
    v = violation(session, vw)
    with pytest.raises(ReviewRefused) as err:
        review(session, users.inspector_a, v.id, "false_alarm", "  ")
    assert err.value.key == "video_review.reason_required"
    row = review(session, users.inspector_a, v.id, "false_alarm", "反光误识别")
    assert row.state == ViolationState.FALSE_ALARM and row.hazard_id is None


def test_second_review_is_refused(session, vw, users) -> None:
    v = violation(session, vw)
    review(session, users.inspector_a, v.id, "confirmed")
    for decision, note in (("confirmed", None), ("false_alarm", "改判")):
        with pytest.raises(ReviewRefused) as err:
            review(session, users.safety_head, v.id, decision, note)
        assert err.value.key == "video_review.already_reviewed"
    assert session.get(VideoViolation, v.id).reviewed_by == users.inspector_a.user_id


def test_unknown_decision_is_refused(session, vw, users) -> None:
    v = violation(session, vw)
    with pytest.raises(ReviewRefused):
        review(session, users.inspector_a, v.id, "new")


def test_out_of_scope_and_without_grant_refused(session, vw, users) -> None:
    v = violation(session, vw)
    with pytest.raises(NotFound):  # department B cannot reach department A's camera
        review(session, users.inspector_b, v.id, "confirmed")
    for actor in (users.display, users.employee_a):
        with pytest.raises(PermissionDenied):
            review(session, actor, v.id, "confirmed")
    assert session.get(VideoViolation, v.id).state == ViolationState.NEW


def test_confirmation_opens_hazard_with_snapshot_in_zone_area(session, vw, users) -> None:
    v = violation(session, vw, snapshot=True)
    snap = session.get(Attachment, v.snapshot_id)
    row = review(session, users.inspector_a, v.id, "confirmed", open_hazard=True)
    hazard = session.get(Hazard, row.hazard_id)
    assert hazard is not None and hazard.source == HazardSource.DETECTOR
    assert hazard.area_id == vw.zone_area and hazard.enterprise_id == v.enterprise_id
    assert hazard.department_id == v.department_id and "未戴安全帽" in hazard.title
    photos = attachments.list_for(session, "hazard", hazard.id)
    assert [p.sha256 for p in photos] == [snap.sha256]
    assert events(session, "hazard", hazard.id)[0].attachment_ids == [photos[0].id]


def test_auto_hazard_rule_opens_hazard_in_camera_area(session, vw, users) -> None:
    auto = violation(session, vw, vw.auto_rule)
    assert review(session, users.inspector_a, auto.id, "confirmed").hazard_id is not None
    bare = violation(session, vw, vw.bare_rule)
    row = review(session, users.inspector_a, bare.id, "confirmed", open_hazard=True)
    assert session.get(Hazard, row.hazard_id).area_id == vw.area  # zone has no area
    fa = violation(session, vw, vw.auto_rule)
    assert review(session, users.inspector_a, fa.id, "false_alarm", "影子").hazard_id is None


def test_existing_hazard_is_not_duplicated(session, vw, users) -> None:
    v = violation(session, vw, vw.auto_rule, hazard_id=None)
    v.hazard_id = 424242  # the detector's sink already opened one
    session.add(v)
    session.flush()
    assert review(session, users.inspector_a, v.id, "confirmed").hazard_id == 424242


def test_feed_and_snapshot_are_scoped(session, vw, users) -> None:
    v = violation(session, vw, snapshot=True)
    older = violation(session, vw, at=T0 - timedelta(hours=1))
    items = feed(session, users.inspector_a, limit=10)
    assert [i.id for i in items][:2] == [v.id, older.id]
    assert items[0].camera == "1号车间枪机" and items[0].zone == "冲压危险区"
    assert feed(session, users.inspector_b) == []
    assert feed(session, users.inspector_a, state="confirmed") == []
    assert snapshot_image(session, users.inspector_a, v.id)  # the JPEG preview
    assert snapshot_image(session, users.inspector_a, older.id) is None
    with pytest.raises(NotFound):
        snapshot_image(session, users.inspector_b, v.id)


def test_false_alarm_rate_from_reviews(session, vw, users) -> None:
    made = [violation(session, vw, at=T0 + timedelta(minutes=i)) for i in range(5)]
    review(session, users.inspector_a, made[0].id, "false_alarm", "反光")
    for v in made[1:4]:
        review(session, users.inspector_a, v.id, "confirmed")
    q = VideoQuery(T0.date() - timedelta(days=1), T0.date() + timedelta(days=1))
    rate = review_rate(session, SYSTEM, q)
    assert (rate.total, rate.confirmed, rate.false_alarms, rate.pending) == (5, 3, 1, 1)
    assert rate.share == pytest.approx(0.25) and rate.within_target is False
