"""Dynamic risk (动态风险): hazards found on a risk point feed back into its level.

Rules, applied by ``refresh_point`` after every hazard change that touches a point and by
``refresh_all`` after demo generation, imports or migrations:

* **Controls failing** (``controls_failing``): the point has an open hazard (state not in
  ``FINISHED_STATES``, not deleted), or its hazards repeat: ``REPEAT_MIN_COUNT`` or more found
  within ``REPEAT_WINDOW_DAYS`` days, or one found in that window that the hazard workflow
  marked as a repeat of an earlier one (``repeat_of_id``). Two hazards in a quarter can be
  chance; a third, or a hazard explicitly recurring, says the controls do not hold. Rejected
  and voided hazards are not hazards and never count.
* **Raised level**: with ``Settings.dynamic_risk_threshold`` (default 2) or more open hazards,
  ``current_level`` is one level above the residual level (major stays major) and
  ``current_reason`` records why in a language-neutral JSON text naming the open hazards;
  ``reason_text`` renders it in the reader's language.
* **Restored**: below the threshold the current level is the residual level again and the
  reason is cleared; the flag clears once nothing open or repeating is left.

Every change of a point's current level is written to the audit trail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from core import audit
from core.config import get_settings
from core.db import utcnow
from core.i18n import t
from core.rbac import Actor
from core.risk.scoring import one_above
from models.enums import RiskLevel
from models.hazard import OPEN_STATES, Hazard, HazardState
from models.risk_register import RiskPoint

REPEAT_WINDOW_DAYS = 90
REPEAT_MIN_COUNT = 3
MAX_NUMBERS = 8  # hazard numbers kept in a reason; the count says how many there are
OPEN_HAZARDS = "open_hazards"
NOT_HAZARDS = (HazardState.REJECTED, HazardState.VOIDED)


@dataclass(frozen=True)
class PointHazards:
    """What the rules need to know about one point's hazards."""

    open_numbers: tuple[str, ...] = ()  # oldest first
    recent: int = 0  # found within the repeat window
    repeat_marked: bool = False  # one of the recent ones marked as a repeat


@dataclass(frozen=True)
class DynamicState:
    level: RiskLevel
    reason: str | None
    failing: bool


def decide(residual: RiskLevel | str, hazards: PointHazards, threshold: int) -> DynamicState:
    """The point's dynamic level, reason and flag from its hazards (a pure function)."""
    opened = len(hazards.open_numbers)
    repeating = hazards.recent >= REPEAT_MIN_COUNT or hazards.repeat_marked
    failing = opened > 0 or repeating
    if opened >= threshold:
        return DynamicState(one_above(residual), make_reason(hazards.open_numbers), failing)
    return DynamicState(RiskLevel(residual), None, failing)


def make_reason(numbers: tuple[str, ...] | list[str]) -> str:
    """The stored reason: JSON, so each reader renders it in their own language."""
    doc = {"key": OPEN_HAZARDS, "count": len(numbers), "numbers": list(numbers[:MAX_NUMBERS])}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def reason_text(reason: str | None, lang: str) -> str:
    """A stored reason as a sentence in ``lang``; text that is not ours is shown as it is."""
    if not reason:
        return ""
    try:
        doc = json.loads(reason)
    except ValueError:
        return reason
    if not isinstance(doc, dict) or doc.get("key") != OPEN_HAZARDS:
        return reason
    numbers = [str(n) for n in doc.get("numbers", [])]
    count = int(doc.get("count", len(numbers)))
    listed = t("risk_scoring.list_separator", lang).join(numbers)
    if count > len(numbers):
        listed += t("risk_scoring.reason_more", lang, more=count - len(numbers))
    return t("risk_scoring.reason_open_hazards", lang, count=count, numbers=listed)


def _hazards(session: Session, point_ids: list[int] | None, now: datetime) -> dict[int, Any]:
    """Per point id: open hazard numbers, recent count and repeat mark (two queries)."""
    point = col(Hazard.risk_point_id)
    live = [col(Hazard.deleted_at).is_(None), point.is_not(None)]
    if point_ids is not None:
        live.append(point.in_(point_ids))
    opened: dict[int, list[str]] = {}
    rows = session.exec(
        select(Hazard.risk_point_id, Hazard.id, Hazard.number)
        .where(*live, col(Hazard.state).in_(OPEN_STATES))
        .order_by(col(Hazard.found_at), col(Hazard.id))
    ).all()
    for point_id, hazard_id, number in rows:
        opened.setdefault(point_id, []).append(number or f"#{hazard_id}")
    marked = func.max(case((col(Hazard.repeat_of_id).is_not(None), 1), else_=0))
    recent = session.exec(
        select(Hazard.risk_point_id, func.count(), marked)
        .where(
            *live,
            col(Hazard.state).not_in(NOT_HAZARDS),
            col(Hazard.found_at) >= now - timedelta(days=REPEAT_WINDOW_DAYS),
        )
        .group_by(point)
    ).all()
    found = {pid: (int(n), bool(m)) for pid, n, m in recent}
    return {
        pid: PointHazards(tuple(opened.get(pid, ())), *found.get(pid, (0, False)))
        for pid in opened.keys() | found.keys()
    }


def _audit_item(point: Any, state: DynamicState, threshold: int) -> dict[str, Any]:
    return {
        "action": "risk_dynamic_level",
        "table_name": "risk_point",
        "row_id": point.id,
        "enterprise_id": point.enterprise_id,
        "before": {
            "current_level": point.current_level,
            "controls_failing": point.controls_failing,
        },
        "after": {
            "current_level": state.level,
            "current_reason": state.reason,
            "controls_failing": state.failing,
        },
        "detail": {"threshold": threshold},
    }


def _differs(point: Any, state: DynamicState) -> bool:
    return (
        RiskLevel(point.current_level) != state.level
        or (point.current_reason or None) != state.reason
        or bool(point.controls_failing) != state.failing
    )


def refresh_point(
    session: Session,
    point_id: int,
    *,
    actor: Actor | None = None,
    threshold: int | None = None,
    now: datetime | None = None,
) -> None:
    """Recompute one point's dynamic level, reason and flag from its hazards now.

    The hazard workflow calls this after every change that touches a point (report, close,
    void, re-link, delete), in its own transaction; a missing or deleted point is left alone.
    ``actor`` names who caused the change in the audit trail (None: the system).
    """
    point = session.get(RiskPoint, point_id)
    if point is None or point.deleted_at is not None:
        return
    limit = threshold or get_settings().dynamic_risk_threshold
    hazards = _hazards(session, [point_id], now or utcnow()).get(point_id, PointHazards())
    state = decide(point.residual_level, hazards, limit)
    if not _differs(point, state):
        return
    if RiskLevel(point.current_level) != state.level:
        audit.record_many(session, actor, [_audit_item(point, state, limit)])
    point.current_level, point.current_reason = state.level, state.reason
    point.controls_failing = state.failing
    point.updated_at = utcnow()
    session.add(point)
    session.flush()


def refresh_all(
    session: Session,
    *,
    actor: Actor | None = None,
    threshold: int | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute every live point (after the demo, an import or a migration); returns how
    many changed. Two aggregate queries and one bulk update, so it suits a million hazards."""
    limit = threshold or get_settings().dynamic_risk_threshold
    hazards = _hazards(session, None, now or utcnow())
    points = session.exec(
        select(
            RiskPoint.id,
            RiskPoint.enterprise_id,
            RiskPoint.residual_level,
            RiskPoint.current_level,
            RiskPoint.current_reason,
            RiskPoint.controls_failing,
        ).where(col(RiskPoint.deleted_at).is_(None))
    ).all()
    stamp = utcnow()
    updates: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for point in points:
        state = decide(point.residual_level, hazards.get(point.id, PointHazards()), limit)
        if not _differs(point, state):
            continue
        if RiskLevel(point.current_level) != state.level:
            entries.append(_audit_item(point, state, limit))
        updates.append(
            {
                "id": point.id,
                "current_level": state.level,
                "current_reason": state.reason,
                "controls_failing": state.failing,
                "updated_at": stamp,
            }
        )
    if updates:
        session.execute(update(RiskPoint), updates)
        audit.record_many(session, actor, entries)
    return len(updates)
