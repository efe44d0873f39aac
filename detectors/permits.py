"""Which running work permits cover each camera zone: the rules' permit context.

A zone belongs to a plant area (its own ``area_id``, else its camera's; areas belong to one
enterprise). A permit in progress in that area covers the zone: intrusion rules with
``unless_permit`` are lifted there, a guardian post (``while_permit``) must be staffed, and
hits in the zone name the permit (``Hit.permit_id``), so a guardian-absent hit can suspend it.
A permit that is suspended, completed or not yet started covers nothing: people in a danger
zone then are intruders again.

The supervisor reads this with the camera configuration (every few seconds, one query for
all cameras) and the workers only look the result up, so frames never wait on the database.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from detectors.types import CameraSpec
from models.permit import Permit, PermitState


def zone_areas(cameras: Iterable[CameraSpec]) -> dict[int, int]:
    """``{zone_id: area_id}`` for every zone that lies in a known area."""
    out: dict[int, int] = {}
    for camera in cameras:
        for zone in camera.zones:
            area = zone.area_id or camera.area_id
            if area is not None:
                out[zone.id] = area
    return out


def running_permits(session: Session, cameras: Iterable[CameraSpec]) -> dict[int, int]:
    """``{zone_id: permit_id}``: the permit in progress covering each zone; where several
    do, the one started last (the crew most recently sent in).

    Example:
        >>> running_permits(session, cameras)  # doctest: +SKIP
        {12: 3051}
    """
    areas = zone_areas(cameras)
    if not areas:
        return {}
    rows = session.exec(
        select(Permit.id, Permit.area_id)
        .where(
            col(Permit.state) == PermitState.IN_PROGRESS,
            col(Permit.area_id).in_(set(areas.values())),
            col(Permit.deleted_at).is_(None),
        )
        .order_by(col(Permit.started_at).asc().nulls_first(), col(Permit.id).asc())
    ).all()
    latest: dict[int, int] = {}
    for permit_id, area_id in rows:
        latest[area_id] = permit_id  # later rows win: started last
    return {zone: latest[area] for zone, area in areas.items() if area in latest}
