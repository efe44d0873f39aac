"""A camera's configuration as the set-up page shows it (摄像头与区域配置): its zones, their
rules and the rule-kind catalogue that gives each rule its parameter schema.

Zones and rules are read through ``visible``, so the page lists what the actor's scope
reaches, live rows only; writes go through ``core.crud.service`` as for any table.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col

from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.rbac import Actor
from models.video import VideoRule, VideoRuleKind, VideoZone


def camera_zones(session: Session, actor: Actor, camera_id: int) -> list[VideoZone]:
    """The camera's live zones in the order they were drawn."""
    stmt = visible(get_spec("video_zone"), actor).where(VideoZone.camera_id == camera_id)
    return list(session.exec(stmt.order_by(col(VideoZone.id))).all())


def zone_rules(
    session: Session, actor: Actor, zone_ids: Iterable[int]
) -> dict[int, list[VideoRule]]:
    """zone id → its live rules, oldest first, in one query for the whole zone list."""
    wanted = sorted(set(zone_ids))
    out: dict[int, list[VideoRule]] = {zone_id: [] for zone_id in wanted}
    if not wanted:
        return out
    stmt = visible(get_spec("video_rule"), actor).where(col(VideoRule.zone_id).in_(wanted))
    for rule in session.exec(stmt.order_by(col(VideoRule.id))).all():
        out[rule.zone_id].append(rule)
    return out


def rule_kinds(session: Session, actor: Actor) -> dict[str, VideoRuleKind]:
    """code → rule kind, retired ones included: an existing rule of a retired kind still shows
    its parameters in words."""
    stmt = visible(get_spec("video_rule_kind"), actor, include_deleted=True)
    return {kind.code: kind for kind in session.exec(stmt).all()}
