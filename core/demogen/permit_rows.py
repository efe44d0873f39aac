"""Demo rows that hang off each permit: gas readings, approval signatures following the
template's chain, and the workflow events that led to the permit's state. Kept apart from the
permit rows (``core.demogen.permit``) to keep both files short."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.permit.rules import pick_limit, within
from core.permit.templates import CLOSE_OUT, Step, parse_steps, stages
from models.permit import PermitDecision, PermitState
from models.permit_reference import GasLimit, PermitGrade, PermitTemplate

S = PermitState


@dataclass(frozen=True)
class Crew:
    """What a permit's child rows need besides the permit row itself."""

    code: str
    grade: PermitGrade
    template: PermitTemplate | None
    people: list[int]
    #: approval role → user ids who may sign it in this plant
    signers: dict[str, list[int]] = field(default_factory=dict)


#: Work has started (measures ticked, briefing held, gases analysed).
STARTED = (S.IN_PROGRESS, S.SUSPENDED, S.COMPLETED, S.CLOSED)
#: The approval chain is complete.
APPROVED = (S.APPROVED, S.GAS_TESTED, *STARTED)
MEDIUM_LEL = (5.0, 5.0, 5.0, 2.1, 1.5)  # 甲烷为主, 少量丙烷/油气
REJECT_NOTES = ("安全措施落实不到位, 退回", "JSA 风险分析不完整, 请补充", "作业人员证书待核实")


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
    limits: dict[str, list[GasLimit]],
) -> Iterator[dict[str, Any]]:
    """Every gas the template asks for, analysed shortly before the start of each started
    permit (特级 hot work twice); ~1 % fail and are re-tested inside the limit after
    ventilation, so no permit started on a failed reading."""
    for pid, row, crew in zip(ids, rows, crews, strict=True):
        gases = [str(g) for g in (crew.template.gases if crew.template else [])]
        if not gases or row["state"] not in STARTED:
            continue
        lel = rng.choice(MEDIUM_LEL)
        rounds = 2 if crew.grade.code == "DH-T" else 1
        base = row["started_at"] - timedelta(minutes=rng.randint(8, 25))
        for i in range(rounds):
            for gas in gases:
                at = base - timedelta(minutes=60 * (rounds - 1 - i))
                bad = rng.random() < 0.01
                for failed in (True, False) if bad else (False,):
                    value, unit = gas_value(rng, gas, failed)
                    limit = pick_limit(
                        limits[crew.code], gas, lel if gas == "combustible" else None
                    )
                    yield {
                        "permit_id": pid,
                        "gas": gas,
                        "value": value,
                        "unit": unit,
                        "medium_lel": lel if gas == "combustible" else None,
                        "measured_at": at - timedelta(minutes=12 if failed else 0),
                        "tester_id": rng.choice(crew.people) if crew.people else None,
                        "sample_point": row["location"],
                        "within_limit": within(limit, value, gas, unit),
                        "enterprise_id": row["enterprise_id"],
                        "department_id": row["department_id"],
                        "created_by": row["created_by"],
                    }


def _signed_stages(rng: random.Random, state: str, n: int) -> int:
    """How many approval stages a permit in ``state`` has fully signed."""
    if state in APPROVED:
        return n
    if state in (S.DRAFT, S.SUBMITTED) or n == 0:
        return 0
    if state == S.CANCELLED:
        return rng.randint(0, n)
    return rng.randint(0, n - 1)  # approving, or rejected at the next stage


def signatures(
    rng: random.Random,
    ids: list[int],
    rows: list[dict[str, Any]],
    crews: list[Crew],
    user_names: dict[int, str],
    guardians: dict[int, tuple[int | None, str]],
) -> list[dict[str, Any]]:
    """The template's chain for the permit's grade (``core.permit.templates.stages``), signed
    as far as the state says; a rejected permit ends with a rejection, a closed one with the
    close-out acceptor. One person signs one step of a permit."""
    out: list[dict[str, Any]] = []
    chains: dict[tuple[int | None, str], tuple[list[list[Step]], Step | None]] = {}
    for pid, row, crew in zip(ids, rows, crews, strict=True):
        key = (crew.template.id if crew.template else None, crew.grade.code)
        if key not in chains:
            steps = crew.template.approval_steps if crew.template else []
            close = next((s for s in parse_steps(steps) if s.role == CLOSE_OUT), None)
            chains[key] = (stages(steps, crew.grade.code), close)
        chain, close = chains[key]
        state, start = row["state"], row["planned_start"]
        done = _signed_stages(rng, state, len(chain))
        guardian_user = guardians.get(row["guardian_id"], (None, ""))[0]
        used: set[int] = {guardian_user} if guardian_user is not None else set()
        for i, stage in enumerate(chain[: done + (state == S.REJECTED)]):
            at = start - timedelta(minutes=45 + 25 * (len(chain) - 1 - i) + rng.randint(0, 8))
            reject = i == done
            for j, step in enumerate(stage[:1] if reject else stage):
                moment = at + timedelta(minutes=3 * j)
                out.append(
                    _sign(rng, pid, row, crew, step, moment, reject, used, user_names, guardians)
                )
        if state == S.CLOSED and close is not None:
            out.append(
                _sign(
                    rng,
                    pid,
                    row,
                    crew,
                    close,
                    row["closed_at"],
                    False,
                    used,
                    user_names,
                    guardians,
                )
            )
    return out


def _sign(
    rng: random.Random,
    pid: int,
    row: dict[str, Any],
    crew: Crew,
    step: Step,
    at: datetime,
    reject: bool,
    used: set[int],
    user_names: dict[int, str],
    guardians: dict[int, tuple[int | None, str]],
) -> dict[str, Any]:
    applicant = row["applicant_id"]
    if step.role == "guardian" and row["guardian_id"] in guardians:
        signer, name = guardians[row["guardian_id"]]
    elif step.role == "work_leader" and applicant is not None:
        signer, name = applicant, user_names.get(applicant, "")
    elif not crew.signers.get(""):  # no accounts in this plant: a colleague signs on paper
        people = [p for p in crew.people if -p not in used] or crew.people
        person = rng.choice(people) if people else None
        signer, name = None, guardians.get(person, (None, ""))[1] if person else ""
        used.add(-(person or 0))
    else:
        pools = (crew.signers.get(step.role, []), crew.signers[""])
        free = _free(pools, used, applicant)
        signer = rng.choice(free)
        name = user_names.get(signer, "")
    if signer is not None:
        used.add(signer)
    return {
        "permit_id": pid,
        "step": step.index,
        "role": step.role,
        "signer_id": signer,
        "signer_name": name or None,
        "decision": PermitDecision.REJECT if reject else PermitDecision.APPROVE,
        "comment": rng.choice(REJECT_NOTES) if reject else None,
        "signed_at": at,
        "enterprise_id": row["enterprise_id"],
        "department_id": row["department_id"],
        "created_by": row["created_by"],
    }


def _free(pools: tuple[list[int], ...], used: set[int], applicant: int | None) -> list[int]:
    """Users of the first pool with someone who has not signed this permit yet (nor applied
    for it); everyone of the role when all have."""
    for pool in pools:
        free = [u for u in pool if u not in used and u != applicant]
        if free:
            return free
    return next((p for p in pools if p), [])


def events(
    ids: list[int],
    rows: list[dict[str, Any]],
    signed: dict[int, list[dict[str, Any]]],
) -> Iterator[dict[str, Any]]:
    """The state history that led each permit to its state, as the workflow writes it:
    create, submit, one event per signature (the last approving one ``sign_final``), then
    start, suspend, complete, close; or reject, or cancel."""
    for pid, row in zip(ids, rows, strict=True):
        state, start = row["state"], row["planned_start"]
        yield _event(
            pid, row, None, S.DRAFT, "create", start - timedelta(hours=24), row["created_by"]
        )
        if state == S.DRAFT:
            continue
        yield _event(
            pid, row, S.DRAFT, S.APPROVING, "submit", start - timedelta(hours=4), row["created_by"]
        )
        sigs = [s for s in signed.get(pid, []) if s["role"] != CLOSE_OUT]
        now: str = S.APPROVING
        for n, sig in enumerate(sigs, 1):
            if sig["decision"] == PermitDecision.REJECT:
                action, after = "reject", S.REJECTED
            elif n == len(sigs) and state in APPROVED:
                action, after = "sign_final", S.APPROVED
            else:
                action, after = "sign", S.APPROVING
            yield _event(
                pid, row, now, after, action, sig["signed_at"], sig["signer_id"], sig["comment"]
            )
            now = after
        if state == S.CANCELLED:
            at = (sigs[-1]["signed_at"] if sigs else start - timedelta(hours=3)) + timedelta(
                minutes=10
            )
            yield _event(
                pid, row, now, S.CANCELLED, "cancel", at, row["created_by"], row["cancel_reason"]
            )
        if state not in STARTED:
            continue
        yield _event(pid, row, now, S.IN_PROGRESS, "start", row["started_at"], row["created_by"])
        if state == S.SUSPENDED:
            at = row["started_at"] + timedelta(minutes=90)
            yield _event(
                pid, row, S.IN_PROGRESS, S.SUSPENDED, "suspend", at, None, row["suspend_reason"]
            )
            continue
        if state in (S.COMPLETED, S.CLOSED):
            yield _event(
                pid,
                row,
                S.IN_PROGRESS,
                S.COMPLETED,
                "complete",
                row["completed_at"],
                row["created_by"],
            )
        if state == S.CLOSED:
            close = next((s for s in signed.get(pid, []) if s["role"] == CLOSE_OUT), None)
            who = close["signer_id"] if close else None
            yield _event(pid, row, S.COMPLETED, S.CLOSED, "close", row["closed_at"], who)


def _event(
    pid: int,
    row: dict[str, Any],
    before: str | None,
    after: str,
    action: str,
    at: datetime,
    actor: int | None,
    comment: str | None = None,
) -> dict[str, Any]:
    return {
        "table_name": "permit",
        "row_id": pid,
        "from_state": before,
        "to_state": after,
        "action": action,
        "actor_id": actor,
        "actor_name": "",
        "comment": comment,
        "data": {},
        "attachment_ids": [],
        "enterprise_id": row["enterprise_id"],
        "ts": at,
    }
