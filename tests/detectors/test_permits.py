"""Which running permit covers each camera zone (the rules' permit context): only permits in
progress count, in the zone's own area or else its camera's, and the one started last wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from detectors.permits import running_permits, zone_areas
from detectors.types import CameraSpec, ZoneSpec
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests import factories
from tests.factories import Org

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
BOX = ((0, 0), (10, 0), (10, 10), (0, 10))


def _camera(area_id: int | None, zones: list[ZoneSpec]) -> CameraSpec:
    return CameraSpec(
        id=1,
        name="cam",
        enterprise_id=None,
        department_id=None,
        area_id=area_id,
        source_uri="synthetic://yard",
        fps_target=10,
        frame_width=640,
        frame_height=360,
        detector_config={},
        zones=tuple(zones),
        rules=(),
        version="v",
    )


def _permit(
    session: Session, org: Org, area_id: int, state: PermitState, started: datetime | None
) -> int:
    ptype = session.get(PermitType, 1) or PermitType(code="DH", name="动火作业", name_en="Hot work")
    session.add(ptype)
    session.flush()
    permit = Permit(
        enterprise_id=org.ent1,
        permit_type_id=ptype.id,
        area_id=area_id,
        location="管廊",
        planned_start=T0,
        planned_end=T0 + timedelta(hours=8),
        content="法兰焊接",
        state=state,
        started_at=started,
    )
    session.add(permit)
    session.flush()
    return permit.id


def test_zone_falls_back_to_the_camera_area_and_arealess_zones_are_left_out() -> None:
    camera = _camera(
        7, [ZoneSpec(1, "a", "danger", BOX, area_id=3), ZoneSpec(2, "b", "danger", BOX)]
    )
    assert zone_areas([camera]) == {1: 3, 2: 7}
    assert zone_areas([_camera(None, [ZoneSpec(4, "c", "danger", BOX)])]) == {}


def test_only_permits_in_progress_cover_a_zone_and_the_latest_started_wins(
    session: Session, org: Org
) -> None:
    east = factories.make(session, "area", name="东区", enterprise_id=org.ent1).id
    west = factories.make(session, "area", name="西区", enterprise_id=org.ent1).id
    north = factories.make(session, "area", name="北区", enterprise_id=org.ent1).id
    _permit(session, org, east, PermitState.IN_PROGRESS, T0)
    later = _permit(session, org, east, PermitState.IN_PROGRESS, T0 + timedelta(hours=1))
    _permit(session, org, west, PermitState.SUSPENDED, T0)
    _permit(session, org, west, PermitState.COMPLETED, T0)
    _permit(session, org, north, PermitState.APPROVED, None)
    camera = _camera(
        north,
        [
            ZoneSpec(1, "东区动火点", "danger", BOX, area_id=east),
            ZoneSpec(2, "西区", "danger", BOX, area_id=west),
            ZoneSpec(3, "北区 (camera area)", "danger", BOX),
        ],
    )
    assert running_permits(session, [camera]) == {1: later}

    started = _permit(session, org, north, PermitState.IN_PROGRESS, T0)
    assert running_permits(session, [camera]) == {1: later, 3: started}


def test_no_areas_means_no_query(session: Session) -> None:
    assert running_permits(session, [_camera(None, [ZoneSpec(1, "z", "danger", BOX)])]) == {}
