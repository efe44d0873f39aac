"""What the risk side does when other domains' records move: a hazard reported, closed or
re-linked on a risk point recomputes that point's dynamic level (``core.risk.dynamic``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.rbac import Actor
from core.risk.dynamic import refresh_point
from core.workflow import listen
from models.workflow import WorkflowEvent


def hazard_moved(session: Session, hazard: Any, event: WorkflowEvent, actor: Actor) -> None:
    if hazard.risk_point_id is not None:
        refresh_point(session, hazard.risk_point_id, actor=actor)


listen("hazard", hazard_moved)
