"""Gas analysis rules per work type (GB 30871-2022 5.3.3, 6.4; GBZ 2.1): limit boundaries,
unit conversions, stale readings and the detector CSV import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, select

from core.crud.service import ValidationFailed
from core.db import utcnow
from core.permit.gas import gas_status, parse_detector_csv
from core.permit.readings import import_readings
from core.permit.rules import limits_for, pick_limit, within
from models.permit import PermitGasReading
from tests.modules.permit_world import World, approved, build_world

PLANT = timezone(timedelta(hours=8))

# (type, gas, value, unit, medium LEL %vol, inside the limit?)
BOUNDARIES = [
    ("DH", "combustible", 0.5, "vol_pct", 5.0, True),  # LEL >= 4 %: <= 0.5 %vol
    ("DH", "combustible", 0.51, "vol_pct", 5.0, False),
    ("DH", "combustible", 0.5, "vol_pct", 4.0, True),  # exactly 4 % belongs to the >= band
    ("DH", "combustible", 0.2, "vol_pct", 2.1, True),  # LEL < 4 %: <= 0.2 %vol
    ("DH", "combustible", 0.21, "vol_pct", 2.1, False),
    ("DH", "combustible", 0.3, "vol_pct", None, False),  # unknown medium: the strict band
    ("DH", "combustible", 10, "lel_pct", 5.0, True),  # 10 %LEL of methane = 0.5 %vol
    ("DH", "combustible", 11, "lel_pct", 5.0, False),
    ("SX", "combustible", 0.5, "vol_pct", 5.0, True),
    ("SX", "combustible", 0.21, "vol_pct", 1.5, False),
    ("SX", "oxygen", 19.5, "vol_pct", None, True),
    ("SX", "oxygen", 19.4, "vol_pct", None, False),
    ("SX", "oxygen", 21.0, "vol_pct", None, True),
    ("SX", "oxygen", 21.1, "vol_pct", None, False),
    ("SX", "h2s", 10, "mg_m3", None, True),  # MAC 10 mg/m3
    ("SX", "h2s", 10.1, "mg_m3", None, False),
    ("SX", "h2s", 7, "ppm", None, True),  # 7 ppm = 9.76 mg/m3
    ("SX", "h2s", 7.5, "ppm", None, False),  # 10.45 mg/m3
    ("SX", "co", 20, "mg_m3", None, True),  # PC-TWA 20 mg/m3 (the stricter of TWA and STEL)
    ("SX", "co", 20.1, "mg_m3", None, False),
    ("SX", "co", 17, "ppm", None, True),  # 19.5 mg/m3
    ("SX", "co", 18, "ppm", None, False),  # 20.6 mg/m3
]


@pytest.mark.parametrize(("code", "gas", "value", "unit", "lel", "ok"), BOUNDARIES)
def test_limit_boundaries(demo_session: Session, code, gas, value, unit, lel, ok) -> None:
    limit = pick_limit(limits_for(demo_session, code), gas, lel)
    assert limit is not None and limit.clause
    assert within(limit, value, gas, unit, lel) is ok


def test_types_without_gas_analysis_have_no_limits(demo_session: Session) -> None:
    for code in ("GC", "DZ", "LD", "DT", "DL", "MB"):
        assert limits_for(demo_session, code) == []


@pytest.fixture
def w(demo_session: Session) -> World:
    return build_world(demo_session)


def _reading(session: Session, permit, minutes_ago: float, value: float = 0.1) -> None:
    session.add(
        PermitGasReading(
            permit_id=permit.id,
            gas="combustible",
            value=value,
            unit="vol_pct",
            medium_lel=5.0,
            within_limit=value <= 0.5,
            measured_at=utcnow() - timedelta(minutes=minutes_ago),
            enterprise_id=permit.enterprise_id,
        )
    )
    session.flush()


@pytest.mark.parametrize(("age", "stale"), [(29, False), (30, False), (31, True), (90, True)])
def test_a_reading_older_than_30_minutes_is_stale(demo_session: Session, w: World, age, stale):
    permit = approved(demo_session, w)
    _reading(demo_session, permit, age)
    [status] = gas_status(demo_session, permit, "DH", ["combustible"], utcnow())
    assert (status.problem is not None and status.problem.key == "permit.gas_stale") is stale
    if stale:
        assert status.problem.params["max"] == 30


def test_the_latest_reading_counts(demo_session: Session, w: World) -> None:
    permit = approved(demo_session, w)
    _reading(demo_session, permit, 10, value=0.9)
    [bad] = gas_status(demo_session, permit, "DH", ["combustible"], utcnow())
    assert bad.problem.key == "permit.gas_out_of_limit"
    assert bad.problem.params["value"] == "0.9 %vol"
    assert bad.problem.params["limit"].startswith("≤ 0.5 %vol")
    _reading(demo_session, permit, 2, value=0.1)
    [good] = gas_status(demo_session, permit, "DH", ["combustible"], utcnow())
    assert good.problem is None


DETECTOR_CSV = """时间,O2(%VOL),LEL(%LEL),H2S(ppm),CO(ppm)
2026-12-02 09:10:00,20.9,0,0,1
2026-12-02 09:20:00,20.8,2,0.5,3
"""


def test_the_detector_export_becomes_readings() -> None:
    rows, problems = parse_detector_csv(DETECTOR_CSV.encode(), PLANT, medium_lel=5.0)
    assert problems == []
    assert len(rows) == 8
    first = rows[0]
    assert first["gas"] == "oxygen" and first["unit"] == "vol_pct" and first["value"] == 20.9
    assert first["measured_at"] == datetime(2026, 12, 2, 1, 10, tzinfo=UTC)
    lel = [r for r in rows if r["gas"] == "combustible"]
    assert {r["unit"] for r in lel} == {"lel_pct"} and lel[0]["medium_lel"] == 5.0


def test_a_bad_row_is_named_and_nothing_is_read() -> None:
    text = DETECTOR_CSV + "2026-12-02 9点半,20.9,0,0,1\n2026-12-02 09:40:00,20.9,abc,0,1\n"
    _rows, problems = parse_detector_csv(text.encode("gb18030"), PLANT, medium_lel=5.0)
    assert [(p.key, p.params) for p in problems] == [
        ("permit.csv_bad_time", {"row": 4}),
        ("permit.csv_bad_value", {"row": 5, "value": "abc"}),
    ]


def test_lel_readings_need_the_medium_and_headers_must_be_known() -> None:
    _rows, problems = parse_detector_csv(DETECTOR_CSV.encode(), PLANT, medium_lel=None)
    assert [p.key for p in problems] == ["permit.lel_needs_medium"]
    _rows, problems = parse_detector_csv(b"a,b\n1,2\n", PLANT, medium_lel=5.0)
    assert [p.key for p in problems] == ["permit.csv_header"]


def test_import_is_all_or_nothing(demo_session: Session, w: World) -> None:
    s = demo_session
    permit = approved(s, w)
    now = utcnow()
    good = {
        "gas": "combustible",
        "value": 0.1,
        "unit": "vol_pct",
        "medium_lel": 5.0,
        "measured_at": now - timedelta(minutes=5),
    }
    future = {**good, "measured_at": now + timedelta(hours=1)}
    with pytest.raises(ValidationFailed):
        import_readings(s, w.actor("safety_manager"), permit.id, [good, good, future])
    count = select(PermitGasReading).where(PermitGasReading.permit_id == permit.id)
    assert s.exec(count).all() == []
    import_readings(s, w.actor("safety_manager"), permit.id, [good, good])
    assert len(s.exec(count).all()) == 2


def test_a_detector_file_with_a_bad_row_imports_nothing(demo_session: Session, w: World) -> None:
    from core.permit.readings import import_detector_csv

    s = demo_session
    permit = approved(s, w)
    local = (utcnow() - timedelta(minutes=10)).astimezone(PLANT).strftime("%Y-%m-%d %H:%M:%S")
    text = f"时间,LEL(%LEL)\n{local},3\n{local},x\n"
    with pytest.raises(ValidationFailed) as refused:
        import_detector_csv(s, w.actor("safety_manager"), permit.id, text.encode(), 5.0)
    assert refused.value.problems[0].params == {"row": 3, "value": "x"}
    good = f"时间,LEL(%LEL)\n{local},3\n".encode()
    stored = import_detector_csv(s, w.actor("safety_manager"), permit.id, good, 5.0)
    assert [(r.value, r.unit, r.within_limit) for r in stored] == [(3.0, "lel_pct", True)]
