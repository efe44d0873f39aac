"""Violation statistics on data small enough to count by hand (period 2026-11-18 … 11-20,
Shanghai time; camera C1 in department A with zones Z1 (PPE rule R1, intrusion rule R2) and Z2
(dwell rule R3); camera C2 in department B, zone Z3, rule R4).

| v  | local time        | camera | rule | state        |
|----|-------------------|--------|------|--------------|
| v1 | 11-18 08:10       | C1     | R1   | confirmed    |
| v2 | 11-18 08:40       | C1     | R1   | false alarm  |
| v3 | 11-19 16:05       | C1     | R2   | confirmed    |
| v4 | 11-20 00:20       | C1     | R3   | new          |  UTC: 11-19 16:20
| v5 | 11-20 23:50       | C2     | R4   | confirmed    |
| v6 | 11-17 23:59       | C1     | R1   | confirmed    |  outside (the day before)
| v7 | 11-21 00:00       | C1     | R1   | confirmed    |  outside (the day after)

In the period: 5 violations; 3 confirmed, 1 false alarm, 1 new → false-alarm rate 25 %.
Department A's inspector sees v1–v4 only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from analytics import video_stats as vs
from core.rbac import SYSTEM
from models.video import CameraStatus
from tests.factories import Org, make
from tests.modules.test_video_review import build_video, violation

BEIJING = timedelta(hours=8)
Q = vs.VideoQuery(date(2026, 11, 18), date(2026, 11, 20))


def local(*args: int) -> datetime:
    return (datetime(*args) - BEIJING).replace(tzinfo=UTC)


@pytest.fixture
def data(session: Session, org: Org, settings) -> dict[str, int]:
    a = build_video(session, org)
    b = build_video(session, org, department_id=org.dept_b)
    table = [
        (a, a.rule, local(2026, 11, 18, 8, 10), "confirmed"),
        (a, a.rule, local(2026, 11, 18, 8, 40), "false_alarm"),
        (a, a.auto_rule, local(2026, 11, 19, 16, 5), "confirmed"),
        (a, a.bare_rule, local(2026, 11, 20, 0, 20), "new"),
        (b, b.rule, local(2026, 11, 20, 23, 50), "confirmed"),
        (a, a.rule, local(2026, 11, 17, 23, 59), "confirmed"),
        (a, a.rule, local(2026, 11, 21, 0, 0), "confirmed"),
    ]
    for world, rule, at, state in table:
        violation(session, world, rule, at=at, state=state)
    return {"camera_a": a.camera, "camera_b": b.camera, "rule_a": a.rule, "zone_a": a.zone}


def test_by_kind_counts_every_kind(session, data) -> None:
    frame = vs.by_kind(session, SYSTEM, Q)
    counts = dict(zip(frame["kind"], frame["count"], strict=True))
    assert counts == {
        "ppe_missing": 3,
        "intrusion": 1,
        "dwell": 1,
        "overcrowd": 0,
        "post_unstaffed": 0,
    }
    assert frame["kind"][0] == "ppe_missing"


def test_by_camera_and_zone(session, data) -> None:
    cams = vs.by_camera(session, SYSTEM, Q)
    assert cams["camera_id"].to_list() == [data["camera_a"], data["camera_b"]]
    assert cams["count"].to_list() == [4, 1]
    zones = vs.by_zone(session, SYSTEM, Q)
    assert zones["count"].to_list() == [3, 1, 1]
    assert zones["zone"][0] == "冲压危险区" and zones["camera"][0] == "1号车间枪机"


def test_by_hour_and_day_in_local_time(session, data) -> None:
    hours = vs.by_hour(session, SYSTEM, Q)
    assert hours.height == 24
    assert {h: c for h, c in zip(hours["hour"], hours["count"], strict=True) if c} == {
        8: 2,
        16: 1,
        0: 1,
        23: 1,
    }
    days = vs.by_day(session, SYSTEM, Q)
    assert days["day"].to_list() == [date(2026, 11, d) for d in (18, 19, 20)]
    assert days["count"].to_list() == [2, 1, 2]


def test_false_alarm_rate_overall_per_kind_and_rule(session, data) -> None:
    rate = vs.review_rate(session, SYSTEM, Q)
    assert (rate.total, rate.reviewed, rate.false_alarms, rate.pending) == (5, 4, 1, 1)
    assert rate.share == pytest.approx(0.25) and rate.within_target is False
    kinds = {r["kind"]: r for r in vs.false_alarms_by_kind(session, SYSTEM, Q).to_dicts()}
    assert kinds["ppe_missing"]["share"] == pytest.approx(1 / 3)
    assert kinds["dwell"]["share"] is None and kinds["dwell"]["pending"] == 1
    rules = vs.false_alarms_by_rule(session, SYSTEM, Q)
    assert rules["rule_id"][0] == data["rule_a"] and rules["false_alarms"][0] == 1
    assert rules["share"].to_list()[-1] is None  # nothing reviewed: last


def test_scope_and_camera_filter(session, data, users) -> None:
    assert vs.review_rate(session, users.inspector_a, Q).total == 4
    assert vs.review_rate(session, users.inspector_b, Q).total == 1
    one = vs.VideoQuery(Q.start, Q.end, camera_id=data["camera_b"])
    assert vs.by_kind(session, SYSTEM, one)["count"].sum() == 1


def test_empty_period(session, data) -> None:
    q = vs.VideoQuery(date(2020, 1, 1), date(2020, 1, 31))
    rate = vs.review_rate(session, SYSTEM, q)
    assert rate.total == 0 and rate.share == 0 and rate.within_target is None
    assert vs.by_day(session, SYSTEM, q)["count"].sum() == 0
    assert vs.false_alarms_by_rule(session, SYSTEM, q).is_empty()


@pytest.mark.parametrize(
    ("status", "age_s", "shown"),
    [
        ("running", 5, "running"),
        ("running", 31, "stalled"),
        ("running", None, "stalled"),
        ("error", 500, "error"),
        ("stopped", None, "stopped"),
        ("stalled", 1, "stalled"),
    ],
)
def test_effective_status(status: str, age_s: int | None, shown: str) -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    seen = None if age_s is None else now - timedelta(seconds=age_s)
    assert vs.effective_status(status, seen, now) == shown


def test_camera_health_flags_stale_heartbeats(session, org, users, settings) -> None:
    now = datetime.now(UTC)
    a = build_video(session, org)
    area = make(session, "area", name="仓库", enterprise_id=org.ent1, department_id=org.dept_a)
    fresh = make(session, "camera", name="A-fresh", area_id=area.id, source_uri="0")
    broken = make(session, "camera", name="A-broken", area_id=area.id, source_uri="0")
    for cam, status, age, error in (
        (a.camera, CameraStatus.RUNNING, 120, None),
        (fresh.id, CameraStatus.RUNNING, 2, None),
        (broken.id, CameraStatus.ERROR, 60, "RTSP read timeout"),
    ):
        row = session.get(type(fresh), cam)
        row.status, row.last_frame_at = status, now - timedelta(seconds=age)
        row.heartbeat_at = now - timedelta(seconds=1)  # the detector is alive
        row.fps, row.lag_ms, row.last_error = 4.8, 95.0, error
        session.add(row)
    session.flush()
    frame = vs.camera_health(session, users.inspector_a, now)
    rows = {r["camera"]: r for r in frame.to_dicts()}
    assert set(rows) == {"1号车间枪机", "A-fresh", "A-broken"}
    stale = rows["1号车间枪机"]
    assert stale["status"] == "stalled" and stale["reported"] == "running"
    assert rows["A-fresh"]["status"] == "running" and rows["A-fresh"]["age_s"] == pytest.approx(2)
    assert rows["A-broken"]["last_error"] == "RTSP read timeout"
    assert frame["camera"].to_list()[0] == "A-broken"  # problems first
    assert vs.camera_health(session, users.inspector_b, now).is_empty()

    quiet = session.get(type(fresh), fresh.id)
    quiet.heartbeat_at = now - timedelta(minutes=5)  # the service died with "running" stored
    session.add(quiet)
    session.flush()
    rows = {r["camera"]: r for r in vs.camera_health(session, users.inspector_a, now).to_dicts()}
    assert rows["A-fresh"]["status"] == vs.DETECTOR_DOWN
    assert rows["A-fresh"]["heartbeat_age_s"] == pytest.approx(300)
