"""Who may work on a permit: employees with a valid special-operation certificate for the
work type, contractor workers admitted to the plant whose trade certificate is valid.

A permit's ``workers`` list holds person ids (employees) and ``"c<id>"`` strings (contractor
workers). ``worker_problems`` names each refused worker and says why, so the applicant can fix
the crew instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.crud.validate import Problem
from core.org.certificates import valid_through
from models.contractor import ContractorTrade, ContractorWorker, WorkerStatus
from models.enums import CertificateKind
from models.org import Certificate, Person

SPECIAL = (CertificateKind.SPECIAL_OPERATION, CertificateKind.SPECIAL_EQUIPMENT)
ADMITTED = (WorkerStatus.IN_PLANT,)


def parse_worker(ref: Any) -> tuple[str, int] | None:
    """``12`` or ``"12"`` is person 12; ``"c12"`` is contractor worker 12."""
    text = str(ref).strip()
    if text.startswith("c") and text[1:].isdigit():
        return "contractor", int(text[1:])
    if text.isdigit():
        return "person", int(text)
    return None


def worker_ref(kind: str, row_id: int) -> int | str:
    return row_id if kind == "person" else f"c{row_id}"


def split_workers(refs: Iterable[Any]) -> tuple[list[int], list[int]]:
    people, contractors = [], []
    for ref in refs or ():
        parsed = parse_worker(ref)
        if parsed is None:
            continue
        (people if parsed[0] == "person" else contractors).append(parsed[1])
    return people, contractors


def matches(work_type: str | None, accepted: Sequence[str]) -> bool:
    """Certificate names vary (熔化焊接与热切割作业 for 焊接与热切割作业): either contains
    the other."""
    if not work_type:
        return False
    return any(a in work_type or work_type in a for a in accepted if a)


def _person_problems(
    session: Session, ids: list[int], accepted: Sequence[str], until: date
) -> list[Problem]:
    names = dict(
        session.execute(select(Person.id, Person.name).where(col(Person.id).in_(ids))).all()
    )
    problems = [
        Problem("workers", "permit.worker_unknown", {"ref": str(i)}) for i in ids if i not in names
    ]
    if not accepted:
        return problems
    certs: dict[int, list[Certificate]] = {}
    stmt = select(Certificate).where(
        col(Certificate.person_id).in_(ids),
        col(Certificate.kind).in_(SPECIAL),
        col(Certificate.deleted_at).is_(None),
    )
    for cert in session.exec(stmt):
        if matches(cert.work_type, accepted):
            certs.setdefault(cert.person_id, []).append(cert)
    types = "、".join(accepted)
    for pid in ids:
        if pid not in names:
            continue
        held = certs.get(pid, [])
        if not held:
            problems.append(
                Problem("workers", "permit.cert_missing", {"name": names[pid], "types": types})
            )
        elif not [c for c in held if valid_through(c.expires_on, until)]:
            latest = max(held, key=lambda c: c.expires_on or date.max)
            problems.append(
                Problem(
                    "workers",
                    "permit.cert_expired",
                    {"name": names[pid], "number": latest.number, "expired": latest.expires_on},
                )
            )
    return problems


def _contractor_problems(
    session: Session, ids: list[int], accepted: Sequence[str], until: date
) -> list[Problem]:
    stmt = (
        select(ContractorWorker, ContractorTrade.name)
        .join(ContractorTrade, col(ContractorTrade.id) == ContractorWorker.trade_id, isouter=True)
        .where(col(ContractorWorker.id).in_(ids), col(ContractorWorker.deleted_at).is_(None))
    )
    found = {w.id: (w, trade) for w, trade in session.execute(stmt).all()}
    problems = [
        Problem("workers", "permit.worker_unknown", {"ref": f"c{i}"}) for i in ids if i not in found
    ]
    for worker, trade in found.values():
        if worker.status not in ADMITTED:
            problems.append(
                Problem(
                    "workers",
                    "permit.worker_not_admitted",
                    {"name": worker.name, "status": f"enum.WorkerStatus.{worker.status}"},
                )
            )
        elif accepted and not matches(trade, accepted):
            problems.append(
                Problem(
                    "workers",
                    "permit.cert_missing",
                    {"name": worker.name, "types": "、".join(accepted)},
                )
            )
        # A contractor's certificate is recorded with its expiry at admission: none is none.
        elif accepted and (
            worker.cert_expires_on is None or not valid_through(worker.cert_expires_on, until)
        ):
            problems.append(
                Problem(
                    "workers",
                    "permit.cert_expired",
                    {
                        "name": worker.name,
                        "number": worker.cert_no or "-",
                        "expired": worker.cert_expires_on or "-",
                    },
                )
            )
    return problems


def worker_problems(
    session: Session, refs: Iterable[Any], accepted: Sequence[str], until: date
) -> list[Problem]:
    """Why each worker may not work this permit (its work types ``accepted``), valid through
    ``until`` (the permit's last day). Empty when the crew is fine."""
    people, contractors = split_workers(refs)
    problems = _person_problems(session, people, accepted, until) if people else []
    if contractors:
        problems += _contractor_problems(session, contractors, accepted, until)
    return problems


def worker_names(session: Session, refs: Iterable[Any]) -> dict[str, str]:
    """``{ref: name}`` for display, in the order given."""
    people, contractors = split_workers(refs)
    names: dict[str, str] = {}
    if people:
        rows = session.execute(select(Person.id, Person.name).where(col(Person.id).in_(people)))
        names.update({str(i): n for i, n in rows.all()})
    if contractors:
        stmt = select(ContractorWorker.id, ContractorWorker.name).where(
            col(ContractorWorker.id).in_(contractors)
        )
        names.update({f"c{i}": n for i, n in session.execute(stmt).all()})
    return {str(r): names.get(str(r), str(r)) for r in refs or ()}


def crew_options(
    session: Session,
    enterprise_id: int,
    department_id: int | None,
    accepted: Sequence[str],
    until: date,
    tags: Mapping[str, str],
) -> dict[str, str]:
    """Who an applicant may pick: the department's people and every holder of an accepted
    certificate in the enterprise (labelled ✓ with its expiry when it covers ``until``, the
    permit's last day, by the crew check's own rule, else ✗ expired), then the contractor
    workers in the plant (``tags["contractor"]``). The submit check still decides; the label
    only saves a wasted try."""
    holders: dict[int, date | None] = {}
    if accepted:
        certs = session.execute(
            select(Certificate.person_id, Certificate.work_type, Certificate.expires_on).where(
                Certificate.enterprise_id == enterprise_id,
                col(Certificate.kind).in_(SPECIAL),
                col(Certificate.deleted_at).is_(None),
            )
        ).all()
        for pid, work_type, expires in certs:
            if matches(work_type, accepted):
                holders[pid] = max(holders.get(pid) or date.min, expires or date.max)
    people = select(Person.id, Person.name).where(
        Person.enterprise_id == enterprise_id, col(Person.deleted_at).is_(None)
    )
    if department_id is not None:
        people = people.where(
            (Person.department_id == department_id) | col(Person.id).in_(list(holders))
        )
    out: dict[str, str] = {}
    for pid, name in session.execute(people.order_by(Person.name)).all():
        out[str(pid)] = f"{name}{_badge(pid, holders, accepted, until, tags)}"
    contractors = session.execute(
        select(ContractorWorker.id, ContractorWorker.name).where(
            ContractorWorker.enterprise_id == enterprise_id,
            ContractorWorker.status == WorkerStatus.IN_PLANT,
            col(ContractorWorker.deleted_at).is_(None),
        )
    ).all()
    out.update({f"c{i}": f"{name} · {tags['contractor']}" for i, name in contractors})
    return out


def _badge(
    pid: int,
    holders: dict[int, date],
    accepted: Sequence[str],
    until: date,
    tags: Mapping[str, str],
) -> str:
    """``✓ 2027-03-01`` (valid through the permit), ``✗ expired 2026-09-12``, ``✗`` (none)."""
    if not accepted:
        return ""
    if pid not in holders:
        return " · ✗"
    expires = holders[pid]
    if valid_through(None if expires == date.max else expires, until):
        return " · ✓" if expires == date.max else f" · ✓ {expires}"
    return f" · ✗ {tags['expired']} {expires}"
