"""Demo rows that hang off each permit: gas readings, approval signatures and workflow
events. Kept apart from the permit rows (``core.demogen.permit``) to keep both files short."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.permit import pick_limit, within
from models.permit import PermitDecision, PermitState
from models.permit_reference import GasLimit, PermitGrade, PermitType


@dataclass(frozen=True)
class Crew:
    """What a permit's child rows need besides the permit row itself."""

    code: str
    grade: PermitGrade
    people: list[int]
    signers: list[int]


TESTED = {
    PermitState.GAS_TESTED, PermitState.IN_PROGRESS, PermitState.SUSPENDED,
    PermitState.COMPLETED, PermitState.CLOSED,
}  # fmt: skip
GASES_SX = ("oxygen", "combustible", "h2s", "co")
MEDIUM_LEL = (5.0, 5.0, 5.0, 2.1, 1.5)  # 甲烷为主, 少量丙烷/油气


def gas_value(rng: random.Random, gas: str, bad: bool) -> tuple[float, str]:
    """A plausible detector reading (ppm for toxics, %vol otherwise)."""
    if gas == "oxygen":
        return (
            round(rng.choice((18.9, 19.2, 21.6)), 1) if bad else round(rng.uniform(20.2, 20.9), 1)
        ), "vol_pct"
    if gas == "combustible":
        return (
            round(rng.uniform(0.6, 1.2), 2) if bad else round(rng.uniform(0.0, 0.15), 2)
        ), "vol_pct"
    if gas == "h2s":
        return (round(rng.uniform(9, 15), 1) if bad else round(rng.uniform(0, 3), 1)), "ppm"
    return (round(rng.uniform(30, 45), 1) if bad else round(rng.uniform(0, 10), 1)), "ppm"


def readings(
    rng: random.Random,
    ids: list[int],
    rows: list[dict[str, Any]],
    crews: list[Crew],
    types: dict[str, PermitType],
    limits: dict[str, list[GasLimit]],
) -> Iterator[dict[str, Any]]:
    """1-4 readings per gas-tested permit, taken shortly before the start; ~1 % out of limit."""
    for pid, row, crew in zip(ids, rows, crews, strict=True):
        code, grade = crew.code, crew.grade
        if not types[code].requires_gas_analysis or row["state"] not in TESTED:
            continue
        if code == "SX":
            gases = list(GASES_SX[: rng.randint(2, 4)])
        else:
            gases = ["combustible"] * rng.randint(1, 2 if grade.code == "DH-T" else 1)
        lel = rng.choice(MEDIUM_LEL)
        for i, gas in enumerate(gases):
            value, unit = gas_value(rng, gas, rng.random() < 0.01)
            limit = pick_limit(limits[code], gas, lel if gas == "combustible" else None)
            yield {
                "permit_id": pid,
                "gas": gas,
                "value": value,
                "unit": unit,
                "medium_lel": lel if gas == "combustible" else None,
                "measured_at": row["planned_start"]
                - timedelta(minutes=rng.randint(5, 28) - 60 * i * (code != "SX")),
                "tester_id": rng.choice(crew.people) if crew.people else None,
                "sample_point": row["location"],
                "within_limit": within(limit, value, gas, unit),
                "enterprise_id": row["enterprise_id"],
                "department_id": row["department_id"],
                "created_by": row["created_by"],
            }


def signatures(
    rng: random.Random,
    ids: list[int],
    rows: list[dict[str, Any]],
    crews: list[Crew],
    steps: dict[str, list[str]],
) -> Iterator[dict[str, Any]]:
    """One signature per template approval step reached; 特级 hot work adds the plant leader."""
    for pid, row, crew in zip(ids, rows, crews, strict=True):
        code, grade = crew.code, crew.grade
        roles = list(steps.get(code, ("work_leader", "unit_head", "acceptor")))
        if grade.code == "DH-T":
            roles.insert(len(roles) - 1, "plant_leader")
        state = row["state"]
        signed = signed_count(rng, state, len(roles))
        start = row["planned_start"]
        for i, role in enumerate(roles[:signed], 1):
            last = i == signed
            at = (
                row["closed_at"]
                if role == "acceptor" and row["closed_at"]
                else start - timedelta(minutes=15 * (len(roles) - i) + rng.randint(1, 10))
            )
            reject = last and state == PermitState.REJECTED
            yield {
                "permit_id": pid,
                "step": i,
                "role": role,
                "signer_id": rng.choice(crew.signers) if crew.signers else None,
                "decision": PermitDecision.REJECT if reject else PermitDecision.APPROVE,
                "comment": "安全措施落实不到位, 退回" if reject else None,
                "signed_at": at,
                "enterprise_id": row["enterprise_id"],
                "department_id": row["department_id"],
                "created_by": row["created_by"],
            }


def signed_count(rng: random.Random, state: PermitState, n: int) -> int:
    """How many approval steps a permit in ``state`` has signed (the last is the close-out)."""
    if state in (PermitState.CLOSED, PermitState.COMPLETED):
        return n
    if state in (PermitState.DRAFT, PermitState.SUBMITTED):
        return 0
    if state in (PermitState.APPROVING, PermitState.REJECTED, PermitState.CANCELLED):
        return rng.randint(1, n - 1)
    return n - 1


# (action, state reached, minutes relative to the planned start; None: at the close-out)
PATH = (
    ("create", PermitState.DRAFT, -1440),
    ("submit", PermitState.SUBMITTED, -240),
    ("review", PermitState.APPROVING, -200),
    ("approve", PermitState.APPROVED, -40),
    ("gas_test", PermitState.GAS_TESTED, -15),
    ("start", PermitState.IN_PROGRESS, 0),
    ("complete", PermitState.COMPLETED, None),
    ("close", PermitState.CLOSED, None),
)
ENDINGS = {
    PermitState.REJECTED: ("reject", PermitState.APPROVING),
    PermitState.CANCELLED: ("cancel", PermitState.APPROVING),
    PermitState.SUSPENDED: ("suspend", PermitState.IN_PROGRESS),
}


def events(
    rng: random.Random,
    ids: list[int],
    rows: list[dict[str, Any]],
    gas_types: set[str],
    crews: list[Crew],
) -> Iterator[dict[str, Any]]:
    """The state history that led each permit to its state, as workflow events."""
    for pid, row, crew in zip(ids, rows, crews, strict=True):
        state = row["state"]
        last, ending = ENDINGS.get(state, (None, state))
        before: str | None = None
        start: datetime = row["planned_start"]
        for action, reached, minutes in PATH:
            if reached == PermitState.GAS_TESTED and crew.code not in gas_types:
                continue
            at = start + timedelta(minutes=minutes) if minutes is not None else None
            if at is None:
                at = row["closed_at"] or row["planned_end"]
                at -= timedelta(minutes=5) if reached == PermitState.COMPLETED else timedelta(0)
            yield _event(pid, row, before, reached, action, at, rng, crew)
            before = reached
            if reached == ending:
                break
        if last is not None:
            at = start + timedelta(minutes=90 if state == PermitState.SUSPENDED else -170)
            yield _event(pid, row, before, state, last, at, rng, crew)


def _event(
    pid: int,
    row: dict[str, Any],
    before: str | None,
    after: str,
    action: str,
    at: datetime,
    rng: random.Random,
    crew: Crew,
) -> dict[str, Any]:
    actor = row["created_by"] if action in ("create", "submit") else None
    if actor is None and crew.signers:
        actor = rng.choice(crew.signers)
    return {
        "table_name": "permit",
        "row_id": pid,
        "from_state": before,
        "to_state": after,
        "action": action,
        "actor_id": actor,
        "actor_name": "",
        "comment": row["cancel_reason"] if action == "cancel" else None,
        "data": {},
        "attachment_ids": [],
        "enterprise_id": row["enterprise_id"],
        "ts": at,
    }
