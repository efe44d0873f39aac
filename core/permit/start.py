"""Before the work starts (开工前确认): the guardian ticks the safety measures, the work leader
records the briefing (安全交底) and the workers sign it, and the gas readings are fresh and
inside their limits. ``start_problems`` lists everything still missing, each in words a
guardian can act on; the start transition refuses while the list is not empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core import audit
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.db import utcnow
from core.permit.approval import display_name, template_of
from core.permit.gas import gas_status, required_gases
from core.permit.rules import aware
from core.permit.workers import parse_worker, worker_names, worker_problems
from core.rbac import Actor, PermissionDenied
from models.permit import Permit, PermitState
from models.permit_reference import PermitMeasureItem, PermitTemplate, PermitType

#: Measures are confirmed and the briefing held once the permit is approved (or approving:
#: a guardian may prepare the site while the last signatures are collected).
PREPARING = (PermitState.APPROVING, PermitState.APPROVED, PermitState.GAS_TESTED)
#: How early a crew may start before the planned start.
EARLY_START = timedelta(minutes=30)


def is_guardian(permit: Permit, actor: Actor) -> bool:
    return actor.person_id is not None and actor.person_id == permit.guardian_id


def is_applicant(permit: Permit, actor: Actor) -> bool:
    return actor.user_id is not None and actor.user_id in (permit.applicant_id, permit.created_by)


def measures_of(session: Session, template: PermitTemplate | None) -> list[PermitMeasureItem]:
    """The template's safety measures, in its order."""
    codes = [str(c) for c in (template.measure_codes if template else [])]
    if not codes:
        return []
    rows = session.exec(
        select(PermitMeasureItem).where(
            col(PermitMeasureItem.code).in_(codes), col(PermitMeasureItem.deleted_at).is_(None)
        )
    ).all()
    by_code = {m.code: m for m in rows}
    return [by_code[c] for c in codes if c in by_code]


def _guard(permit: Permit, actor: Actor, allowed: bool) -> None:
    if permit.state not in PREPARING:
        raise PermissionDenied("permit.not_preparing")
    if not (allowed or actor.is_admin):
        raise PermissionDenied("workflow.not_allowed", action="workflow.action.start")


def tick_measures(
    session: Session, actor: Actor, permit: Permit, ticked: Iterable[str]
) -> list[str]:
    """The guardian confirms measures on site (ticks are added, unticked ones removed).
    Returns the codes now ticked."""
    _guard(permit, actor, is_guardian(permit, actor))
    known = {m.code for m in measures_of(session, template_of(session, permit))}
    wanted = {str(c) for c in ticked}
    unknown = wanted - known
    if unknown:
        raise ValidationFailed(
            [Problem("measures", "permit.measure_unknown", {"codes": ", ".join(sorted(unknown))})]
        )
    before = audit.snapshot(permit)
    current: dict[str, Any] = dict(permit.measures_checked or {})
    stamp = {"by": actor.user_id, "name": display_name(session, actor), "at": utcnow().isoformat()}
    permit.measures_checked = {
        code: current.get(code) or stamp for code in sorted(wanted, key=sorted(known).index)
    }
    session.add(permit)
    audit.record_update(session, actor, "permit", permit, before)
    return list(permit.measures_checked)


def record_briefing(
    session: Session, actor: Actor, permit: Permit, content: str, signed: Iterable[Any]
) -> None:
    """The work leader (applicant) or guardian records the briefing and who signed it."""
    _guard(permit, actor, is_applicant(permit, actor) or is_guardian(permit, actor))
    if not (content or "").strip():
        raise ValidationFailed([Problem("briefing_content", "validation.required", {})])
    crew = {str(w) for w in permit.workers or []}
    refs = [str(r) for r in signed if parse_worker(r) is not None]
    strangers = [r for r in refs if r not in crew]
    if strangers:
        raise ValidationFailed(
            [Problem("briefing_signed", "permit.briefing_not_crew", {"refs": ", ".join(strangers)})]
        )
    before = audit.snapshot(permit)
    permit.briefing_content = content.strip()
    permit.briefing_by = actor.user_id
    permit.briefed_at = utcnow()
    permit.briefing_signed = [r for r in (permit.workers or []) if str(r) in set(refs)]
    session.add(permit)
    audit.record_update(session, actor, "permit", permit, before)


def window_problems(permit: Permit, now: datetime) -> list[Problem]:
    start, end = aware(permit.planned_start), aware(permit.planned_end)
    if now >= end:
        return [Problem("planned_end", "permit.window_over", {"end": end})]
    if now < start - EARLY_START:
        return [Problem("planned_start", "permit.too_early", {"start": start})]
    return []


def start_problems(session: Session, permit: Permit, now: datetime | None = None) -> list[Problem]:
    """Everything that keeps ``permit`` from starting at ``now`` (empty: it may start)."""
    now = aware(now or utcnow())
    template = template_of(session, permit)
    ptype = session.get(PermitType, permit.permit_type_id)
    problems = window_problems(permit, now)
    gases = required_gases(
        template.gases if template else [],
        bool(ptype and ptype.requires_gas_analysis),
        session,
        ptype.code if ptype else "",
    )
    code = ptype.code if ptype else ""
    problems += [g.problem for g in gas_status(session, permit, code, gases, now) if g.problem]
    open_measures = [
        m.code
        for m in measures_of(session, template)
        if m.mandatory and m.code not in (permit.measures_checked or {})
    ]
    if open_measures:
        problems.append(
            Problem(
                "measures",
                "permit.measures_open",
                {"n": len(open_measures), "codes": ", ".join(open_measures[:6])},
            )
        )
    if permit.guardian_id is None:
        problems.append(Problem("guardian_id", "permit.guardian_missing", {}))
    if permit.briefed_at is None:
        problems.append(Problem("briefing", "permit.briefing_missing", {}))
    else:
        signed = {str(r) for r in permit.briefing_signed or []}
        missing = [str(w) for w in permit.workers or [] if str(w) not in signed]
        if missing:
            names = worker_names(session, missing)
            problems.append(
                Problem(
                    "briefing", "permit.briefing_unsigned", {"names": "、".join(names.values())}
                )
            )
    accepted = [str(c) for c in (template.worker_certificates if template else [])]
    problems += worker_problems(
        session, permit.workers or [], accepted, aware(permit.planned_end).date()
    )
    return problems
