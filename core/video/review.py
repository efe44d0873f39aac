"""Reviewing what the detector wrote (违章复核): confirm or mark a false alarm, once.

A reviewer needs the video module's approve or edit grant and must reach the violation's
enterprise / department (out-of-scope rows look absent). The decision is claimed with a
conditional update (``state = 'new'``), so two reviewers clicking at once cannot both win, and
audited as one ``video_review`` entry. A confirmation opens a hazard in the hazard loop when
the rule says so (``auto_hazard``) or the reviewer asks for one: source "detector", in the
zone's area (else the camera's), with the snapshot as its "before" photo.

The live feed's query is here too, so the page, a test or the CLI read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import attachments, audit
from core.clock import shown
from core.config import get_settings
from core.crud.lookup import titles, visible
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.db import utcnow
from core.hazard.flow import report_hazard
from core.i18n import Translatable, t
from core.rbac import Actor, PermissionDenied
from models.enums import Action, Module
from models.hazard import Hazard, HazardSource
from models.system import Attachment
from models.video import Camera, VideoRule, VideoViolation, VideoZone, ViolationState

DECISIONS: tuple[ViolationState, ...] = (ViolationState.CONFIRMED, ViolationState.FALSE_ALARM)
COMMENT_MAX = 500
FEED_MAX = 200


class ReviewRefused(Translatable):
    """A review that cannot happen (already reviewed, unknown decision, missing reason)."""


def can_review(actor: Actor) -> bool:
    """Approvers (safety managers, department heads, inspectors) and editors review."""
    return actor.can(Module.VIDEO, Action.APPROVE) or actor.can(Module.VIDEO, Action.EDIT)


def require_reviewer(actor: Actor) -> None:
    if not can_review(actor):
        raise PermissionDenied(
            "error.permission_denied", module=f"module.{Module.VIDEO}", action="action.approve"
        )


def review(
    session: Session,
    actor: Actor,
    violation_id: int,
    decision: str,
    comment: str | None = None,
    *,
    open_hazard: bool = False,
) -> VideoViolation:
    """Record one review decision in the caller's transaction and return the violation.

    A false alarm needs a reason (it becomes the label of a retraining snapshot). A refused
    hazard (the reviewer may not report hazards) raises, and the caller's rollback leaves the
    violation unreviewed.
    """
    require_reviewer(actor)
    violation = get_row(session, get_spec("video_violation"), actor, violation_id)
    if violation.deleted_at is not None:
        raise ReviewRefused("video_review.deleted")
    if decision not in {str(d) for d in DECISIONS}:
        raise ReviewRefused("video_review.bad_decision", decision=str(decision))
    note = (comment or "").strip()[:COMMENT_MAX] or None
    if decision == ViolationState.FALSE_ALARM and not note:
        raise ReviewRefused("video_review.reason_required")
    if violation.state != ViolationState.NEW:
        raise ReviewRefused("video_review.already_reviewed")
    before = audit.snapshot(violation)
    now = utcnow()
    claimed = session.execute(
        update(VideoViolation)
        .where(col(VideoViolation.id) == violation_id, VideoViolation.state == ViolationState.NEW)
        .values(
            state=ViolationState(decision),
            reviewed_by=actor.user_id,
            reviewed_at=now,
            review_comment=note,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # someone else reviewed it between our read and our write
        raise ReviewRefused("video_review.already_reviewed")
    session.refresh(violation)
    if decision == ViolationState.CONFIRMED and violation.hazard_id is None:
        rule = session.get(VideoRule, violation.rule_id) if violation.rule_id else None
        if open_hazard or (rule is not None and rule.auto_hazard):
            violation.hazard_id = open_hazard_for(session, actor, violation, rule).id
            session.add(violation)
            session.flush()
    after = audit.snapshot(violation)
    delta = audit.changes(before, after)
    delta.pop("updated_at", None)
    audit.record(
        session,
        actor,
        "video_review",
        table_name="video_violation",
        row_id=violation.id,
        enterprise_id=violation.enterprise_id,
        before={k: before.get(k) for k in delta},
        after=delta,
        detail={"decision": str(decision), "hazard_id": violation.hazard_id},
    )
    return violation


def hazard_number(session: Session, actor: Actor, violation: VideoViolation) -> str | int | None:
    """The number of the hazard a confirmation opened (its id while unnumbered), for the
    reviewer's message; None when the review opened none."""
    if violation.hazard_id is None:
        return None
    spec = get_spec("hazard")
    stmt = visible(spec, actor, include_deleted=True).where(Hazard.id == violation.hazard_id)
    hazard = session.exec(stmt).first()
    return (hazard.number or hazard.id) if hazard else None


def hazard_values(
    session: Session, violation: VideoViolation, rule: VideoRule | None, lang: str
) -> dict[str, Any]:
    """The hazard a confirmed violation raises: where the zone (else the camera) is."""
    camera = session.get(Camera, violation.camera_id)
    zone = session.get(VideoZone, violation.zone_id) if violation.zone_id else None
    kind = t(f"enum.RuleKind.{violation.rule_kind}", lang)
    where = " · ".join(
        x for x in (camera.name if camera else None, zone.name if zone else None) if x
    )
    title = t("video_review.hazard_title", lang, rule=rule.name if rule else kind, where=where)
    description = t(
        "video_review.hazard_description",
        lang,
        kind=kind,
        at=shown(violation.occurred_at),
        track=violation.track_id if violation.track_id is not None else "—",
        confidence=f"{violation.confidence:.0%}",
        comment=violation.review_comment or "—",
        id=violation.id,
    )
    area_id = (zone.area_id if zone else None) or (camera.area_id if camera else None)
    return {
        "title": title[:200],
        "description": description[:2000],
        "level": "general",
        "source": HazardSource.DETECTOR,
        "enterprise_id": violation.enterprise_id,
        "department_id": violation.department_id,
        "area_id": area_id,
        "location": where[:200] or None,
        "found_at": violation.occurred_at,
    }


def open_hazard_for(
    session: Session, actor: Actor, violation: VideoViolation, rule: VideoRule | None
) -> Any:
    """Report the hazard with the snapshot stored on it (the hazard's "before" photo); when the
    snapshot's bytes are unreadable the opening event still links the original attachment."""

    values = hazard_values(session, violation, rule, actor.language)
    snapshot = session.get(Attachment, violation.snapshot_id) if violation.snapshot_id else None
    files: list[tuple[str, bytes]] = []
    linked: list[int] = []
    if snapshot is not None:
        try:
            files = [(snapshot.filename, attachments.read(snapshot, get_settings()))]
        except attachments.AttachmentError:
            linked = [snapshot.id]
    return report_hazard(session, actor, values, files=files, attachment_ids=linked)


def snapshot_image(
    session: Session, actor: Actor, violation_id: int, *, thumbnail: bool = True
) -> bytes | None:
    """The snapshot (or its preview) of a violation the actor may see; None when it has none
    or the file is gone."""
    violation = get_row(session, get_spec("video_violation"), actor, violation_id)
    if violation.snapshot_id is None:
        return None
    item = session.get(Attachment, violation.snapshot_id)
    if item is None or item.deleted_at is not None:
        return None
    try:
        if thumbnail:
            return attachments.read_thumbnail(item, get_settings())
        return attachments.read(item, get_settings())
    except attachments.AttachmentError:
        return None


@dataclass(frozen=True)
class FeedItem:
    """One row of the live feed with its names resolved."""

    id: int
    occurred_at: datetime
    camera_id: int
    camera: str
    zone: str | None
    rule: str | None
    rule_kind: str
    track_id: int | None
    confidence: float
    state: str
    snapshot_id: int | None
    boxes: list[Any]
    polygon: list[Any]
    frame: tuple[int, int]
    hazard_id: int | None
    hazard_number: str | None
    review_comment: str | None
    auto_hazard: bool


def feed(
    session: Session,
    actor: Actor,
    *,
    camera_id: int | None = None,
    state: str | None = None,
    limit: int = 20,
) -> list[FeedItem]:
    """The newest violations the actor may see, newest first (index on ``occurred_at``)."""
    stmt = visible(get_spec("video_violation"), actor)
    if camera_id is not None:
        stmt = stmt.where(VideoViolation.camera_id == camera_id)
    if state is not None:
        stmt = stmt.where(VideoViolation.state == state)
    stmt = stmt.order_by(col(VideoViolation.occurred_at).desc(), col(VideoViolation.id).desc())
    rows = list(session.exec(stmt.limit(max(1, min(limit, FEED_MAX)))).all())
    cameras = _by_id(session, Camera, {r.camera_id for r in rows})
    zones = _by_id(session, VideoZone, {r.zone_id for r in rows if r.zone_id})
    rules = _by_id(session, VideoRule, {r.rule_id for r in rows if r.rule_id})
    hazards = titles(session, "hazard", {r.hazard_id for r in rows if r.hazard_id})
    items = []
    for r in rows:
        cam, zone, rule = cameras.get(r.camera_id), zones.get(r.zone_id), rules.get(r.rule_id)
        items.append(
            FeedItem(
                id=r.id,
                occurred_at=r.occurred_at,
                camera_id=r.camera_id,
                camera=cam.name if cam else f"#{r.camera_id}",
                zone=zone.name if zone else None,
                rule=rule.name if rule else None,
                rule_kind=str(r.rule_kind),
                track_id=r.track_id,
                confidence=r.confidence,
                state=str(r.state),
                snapshot_id=r.snapshot_id,
                boxes=list(r.boxes or []),
                polygon=list(zone.polygon or []) if zone else [],
                frame=(cam.frame_width, cam.frame_height) if cam else (1920, 1080),
                hazard_id=r.hazard_id,
                hazard_number=hazards.get(r.hazard_id) if r.hazard_id else None,
                review_comment=r.review_comment,
                auto_hazard=bool(rule and rule.auto_hazard),
            )
        )
    return items


def _by_id(session: Session, model: Any, ids: set[Any]) -> dict[int, Any]:
    if not ids:
        return {}
    return {r.id: r for r in session.exec(select(model).where(col(model.id).in_(sorted(ids))))}


def cameras_for(session: Session, actor: Actor) -> dict[int, str]:
    """The feed's camera filter: cameras the actor may see, by name."""
    stmt = visible(get_spec("camera"), actor).order_by(col(Camera.name))
    return {c.id: c.name for c in session.exec(stmt).all()}
