"""Workflow histories for demo contractors and violations: the events ``core.contractor.flow``
would have written, so a record's history always explains its state.

Each state implies its path (a blacklisted contractor applied, was reviewed, admitted and then
blacklisted); the dates come from the row (admitted on, occurred on) and never pass today.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from core.demogen import DemoContext
from models.contractor import ContractorState as S
from models.contractor import ContractorViolationState as V

Path = tuple[tuple[str, str], ...]

_APPLY: Path = (("apply", S.APPLIED),)
_REVIEW: Path = (*_APPLY, ("send_for_review", S.REVIEWING))
_ADMIT: Path = (*_REVIEW, ("admit", S.ADMITTED))
#: The steps (action, state reached) that lead to each admission state, opening step first.
ADMISSION_PATHS: dict[str, Path] = {
    S.APPLIED: _APPLY,
    S.REVIEWING: _REVIEW,
    S.ADMITTED: _ADMIT,
    S.REJECTED: (*_REVIEW, ("reject", S.REJECTED)),
    S.SUSPENDED: (*_ADMIT, ("suspend", S.SUSPENDED)),
    S.BLACKLISTED: (*_ADMIT, ("blacklist", S.BLACKLISTED)),
}
_RECORD: Path = (("record_violation", V.RECORDED),)
_NOTIFY: Path = (*_RECORD, ("notify", V.NOTIFIED))
_RECTIFY: Path = (*_NOTIFY, ("rectify_violation", V.RECTIFIED))
_APPEAL: Path = (*_NOTIFY, ("appeal", V.APPEALED))
VIOLATION_PATHS: dict[str, Path] = {
    V.RECORDED: _RECORD,
    V.NOTIFIED: _NOTIFY,
    V.RECTIFIED: _RECTIFY,
    V.APPEALED: _APPEAL,
    V.CLOSED: (*_RECTIFY, ("close", V.CLOSED)),
    V.REVOKED: (*_APPEAL, ("revoke", V.REVOKED)),
}
COMMENTS = {
    "reject": "资质材料不全，近三年安全业绩不满足准入要求",
    "suspend": "年度评价不合格，暂停准入，限期整改",
    "blacklist": "多次严重违章，列入黑名单",
    "rectify_violation": "已对当事人进行安全教育，现场已整改",
    "appeal": "当事人对违章事实有异议，提出申诉",
    "revoke": "经复核申诉成立，撤销违章记录",
}
#: When each step of a record happened: one date per step of its path.
StepDays = Callable[[random.Random, dict[str, Any], int, date], list[date]]


def admission_days(rng: random.Random, row: dict[str, Any], steps: int, today: date) -> list[date]:
    """Applied two weeks before admission; a suspension or blacklisting came later."""
    admitted = row["admitted_on"] or today - timedelta(days=rng.randint(14, 60))
    days = [admitted - timedelta(days=14), admitted - timedelta(days=7), admitted]
    if steps > 3:
        days.append(admitted + timedelta(days=rng.randint(30, max(30, (today - admitted).days))))
    return [min(today, d) for d in days[:steps]]


def violation_days(rng: random.Random, row: dict[str, Any], steps: int, today: date) -> list[date]:
    """Recorded the day it happened, each later step one to five days after the one before."""
    days = [row["occurred_on"]]
    for _ in range(steps - 1):
        days.append(days[-1] + timedelta(days=rng.randint(1, 5)))
    return [min(today, d) for d in days]


def history(
    ctx: DemoContext,
    table: str,
    paths: dict[str, Path],
    step_days: StepDays,
    rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Event rows for ``rows`` (inserted already: each carries its ``id``), by whoever
    registered the record."""
    names = {u.id: u.username for u in ctx.users}
    out: list[dict[str, Any]] = []
    for row in rows:
        path = paths[row["state"]]
        days = step_days(ctx.rng, row, len(path), ctx.today)
        previous, last = None, None
        for (action, state), day in zip(path, days, strict=True):
            when = ctx.moment(day)
            if last is not None and when <= last:  # two steps on one day: in their order
                when = last + timedelta(minutes=ctx.rng.randint(10, 120))
            out.append(
                {
                    "table_name": table,
                    "row_id": row["id"],
                    "from_state": previous,
                    "to_state": state,
                    "action": action,
                    "actor_id": row["created_by"],
                    "actor_name": names.get(row["created_by"], ""),
                    "comment": COMMENTS.get(action),
                    "data": {},
                    "attachment_ids": [],
                    "enterprise_id": row["enterprise_id"],
                    "ts": when,
                }
            )
            previous, last = state, when
    return out
