"""Workflow histories for demo hazards: the events the hazard workflow would have written.

Each state implies its path (a closed hazard was reported, confirmed, rectified and verified),
and the times come from the row itself, so the history and the register always agree.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from models.hazard import HazardState as S

#: The steps that lead to each state, after the opening "report".
PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    S.REPORTED: (),
    S.CONFIRMED: (("confirm", S.CONFIRMED),),
    S.RECTIFYING: (
        ("confirm", S.CONFIRMED),
        ("rectify", S.VERIFYING),
        ("verify_fail", S.RECTIFYING),
    ),
    S.EXTENSION_REQUESTED: (("confirm", S.CONFIRMED), ("request_extension", S.EXTENSION_REQUESTED)),
    S.VERIFYING: (("confirm", S.CONFIRMED), ("rectify", S.VERIFYING)),
    S.CLOSED: (("confirm", S.CONFIRMED), ("rectify", S.VERIFYING), ("verify_pass", S.CLOSED)),
    S.REJECTED: (("reject", S.REJECTED),),
    S.VOIDED: (("void", S.VOIDED),),
}
COMMENTS = {
    "reject": "经核实不属于隐患",
    "void": "重复上报，已合并",
    "request_extension": "备件采购周期长，申请延期",
    "verify_pass": "现场复查合格",
    "verify_fail": "复查不合格：整改不彻底，请重新整改",
}


def _when(action: str, row: dict[str, Any], confirmed: datetime) -> datetime:
    if action == "confirm":
        return confirmed
    if action == "rectify":  # a returned one was first rectified a day after confirmation
        return row["rectified_at"] or confirmed + timedelta(days=1)
    if action == "verify_fail":
        return confirmed + timedelta(days=2)
    if action == "verify_pass":
        return row["verified_at"]
    if action in ("reject", "void"):
        return row["closed_at"]
    return max(confirmed, datetime.combine(row["deadline"], confirmed.timetz()) - timedelta(days=1))


def hazard_events(
    rng: random.Random, ids: list[int], rows: list[dict[str, Any]], names: dict[int, str]
) -> list[dict[str, Any]]:
    """Event rows for ``rows`` (already inserted with ``ids``)."""
    out: list[dict[str, Any]] = []
    for row_id, row in zip(ids, rows, strict=True):
        found = row["found_at"]
        first_step = row.get("rectified_at") or row.get("closed_at") or found + timedelta(hours=9)
        confirmed = found + (first_step - found) * rng.uniform(0.05, 0.3)
        actors = {
            "report": row["reporter_id"],
            "rectify": row.get("rectifier_id") or row["reporter_id"],
        }
        steps = (("report", S.REPORTED), *PATHS[row["state"]])
        previous = None
        for action, state in steps:
            actor = actors.get(action, row["verifier_id"])
            out.append(
                {
                    "table_name": "hazard",
                    "row_id": row_id,
                    "from_state": previous,
                    "to_state": state,
                    "action": action,
                    "actor_id": actor,
                    "actor_name": names.get(actor, ""),
                    "comment": COMMENTS.get(action),
                    "data": {},
                    "attachment_ids": [],
                    "enterprise_id": row["enterprise_id"],
                    "ts": found if action == "report" else _when(action, row, confirmed),
                }
            )
            previous = state
    return out
