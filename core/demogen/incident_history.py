"""Workflow histories for demo incidents and their corrective actions: the events the two
workflows would have written, so a record opened in the app shows how it reached its state.

Each state implies its path (a closed incident was reported, investigated, given actions and
closed); the times come from the rows (an incident closes after its last action). Anonymous
near misses open under the pseudonym, as a real anonymous report does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.incident.flow import ANONYMOUS
from models.incident import IncidentState as S
from models.incident_action import CorrectiveActionState as A

#: (action, state reached) in order; a record's history is the prefix up to its state.
INCIDENT_STEPS = (
    ("report", S.REPORTED),
    ("investigate", S.INVESTIGATING),
    ("propose_actions", S.ACTIONS),
    ("close", S.CLOSED),
)
ACTION_STEPS = (
    ("assign_action", A.OPEN),
    ("start", A.IN_PROGRESS),
    ("complete", A.VERIFYING),
    ("verify", A.CLOSED),
)
#: When an incident's investigation starts and its actions are set, after it occurred.
INVESTIGATED = timedelta(days=1)
ACTIONS_SET = timedelta(days=3)
NEAR_MISS_CLOSED = timedelta(days=6)

Actor = tuple[int | None, str]


def _path(
    steps: tuple[tuple[str, str], ...], state: str, times: list[datetime]
) -> list[tuple[str, str | None, str, datetime]]:
    """(action, from, to, when) of each step up to ``state``."""
    reached = [s for _, s in steps].index(state) + 1
    sources = [None, *(s for _, s in steps)]
    return [(a, sources[i], s, times[i]) for i, (a, s) in enumerate(steps[:reached])]


def _event(
    table: str, row_id: int, step: tuple[str, str | None, str, datetime], actor: Actor, ent: int
) -> dict[str, Any]:
    action, source, target, when = step
    return {
        "table_name": table,
        "row_id": row_id,
        "from_state": source,
        "to_state": target,
        "action": action,
        "actor_id": actor[0],
        "actor_name": actor[1],
        "comment": None,
        "data": {},
        "attachment_ids": [],
        "enterprise_id": ent,
        "ts": when,
    }


def incident_events(
    incidents: list[tuple[int, dict[str, Any]]],
    actions: list[tuple[int, dict[str, Any]]],
    manager: Actor,
    owners: dict[int, str],
) -> list[dict[str, Any]]:
    """Events of the inserted ``incidents`` and ``actions`` ((id, row) pairs); ``manager``
    reports (but for anonymous near misses), investigates and verifies, each action's owner
    (``owners``: person id → name) starts and completes it."""
    occurred = {incident_id: row["occurred_at"] for incident_id, row in incidents}
    last_closed: dict[int, datetime] = {}
    out: list[dict[str, Any]] = []
    for action_id, a in actions:
        opened = occurred[a["incident_id"]] + ACTIONS_SET
        done = a["completed_at"] or opened + timedelta(days=2)
        times = [opened, opened + (done - opened) / 2, done, a["closed_at"] or done]
        owner: Actor = (None, owners.get(a["owner_id"], ""))
        for step in _path(ACTION_STEPS, a["state"], times):
            who = owner if step[0] in ("start", "complete") else manager
            out.append(_event("corrective_action", action_id, step, who, a["enterprise_id"]))
        if a["closed_at"] is not None:
            last = last_closed.get(a["incident_id"], a["closed_at"])
            last_closed[a["incident_id"]] = max(last, a["closed_at"])
    for incident_id, row in incidents:
        start = row["occurred_at"]
        closed = last_closed.get(incident_id, start + NEAR_MISS_CLOSED) + timedelta(hours=1)
        times = [start + timedelta(hours=1), start + INVESTIGATED, start + ACTIONS_SET, closed]
        for step in _path(INCIDENT_STEPS, row["state"], times):
            anonymous = step[0] == "report" and row["anonymous"]
            who = (None, ANONYMOUS) if anonymous else manager
            out.append(_event("incident", incident_id, step, who, row["enterprise_id"]))
    return out
