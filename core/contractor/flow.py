"""The contractor workflows: admission (准入) and violation handling (违章处理).

Admission: whoever registers a contractor (edit grant) sends it for review; approvers (the
module's approve grant) admit it, only on at least one qualification valid today, reject it
with a reason, suspend it and reinstate it (the qualification check again). Only safety heads
and managers blacklist, from any state, with a reason. A contractor is admitted only by
``admit`` or ``reinstate``, so never without a valid qualification.

Violations: the safety department notifies the contractor, records its rectification, and an
approver closes the case; a notified contractor may appeal, and an approver upholds the
violation (back to notified) or revokes it. A violation is closed only once rectified.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.clock import site_today
from core.contractor.rules import valid_qualifications
from core.i18n import Translatable
from core.rbac import Actor
from core.workflow import Transition, Workflow, declare, opener
from models.contractor import Contractor
from models.contractor import ContractorState as S
from models.contractor import ContractorViolationState as V
from models.enums import Action, Role

MANAGERS = frozenset({Role.SAFETY_HEAD, Role.SAFETY_MANAGER})
#: Admission records nobody edits any more (a rejected contractor can still be blacklisted).
CLOSED_ADMISSIONS = frozenset({S.REJECTED, S.BLACKLISTED})
CLOSED_VIOLATIONS = frozenset({V.CLOSED, V.REVOKED})


class AdmissionRefused(Translatable):
    """A contractor without a valid qualification is not admitted. Raised as it is (not as a
    field problem): the step's form has no field the message could sit under."""


def _qualified(session: Session, c: Contractor, payload: dict[str, Any], actor: Actor) -> None:
    valid, on_file = valid_qualifications(session, c.id, site_today())
    if not valid:
        key = (
            "validation.contractor.qualifications_expired"
            if on_file
            else "validation.contractor.no_qualification"
        )
        raise AdmissionRefused(key, name=c.name, count=on_file)


def _admit(session: Session, c: Contractor, payload: dict[str, Any], actor: Actor) -> None:
    _qualified(session, c, payload, actor)
    c.admitted_on = site_today()


def _blacklist(session: Session, c: Contractor, payload: dict[str, Any], actor: Actor) -> None:
    """The list filter on the flag follows the state (set here only, never in a form)."""
    c.blacklisted = True


ADMISSION: tuple[Transition, ...] = (
    Transition("send_for_review", (S.APPLIED,), S.REVIEWING, Action.EDIT),
    Transition("admit", (S.REVIEWING,), S.ADMITTED, Action.APPROVE, apply=_admit),
    Transition("reject", (S.REVIEWING,), S.REJECTED, Action.APPROVE, comment_required=True),
    Transition("suspend", (S.ADMITTED,), S.SUSPENDED, Action.APPROVE, comment_required=True),
    Transition("reinstate", (S.SUSPENDED,), S.ADMITTED, Action.APPROVE, apply=_qualified),
    Transition(
        "blacklist",
        tuple(s for s in S if s != S.BLACKLISTED),
        S.BLACKLISTED,
        Action.APPROVE,
        roles=MANAGERS,
        comment_required=True,
        apply=_blacklist,
    ),
)

VIOLATION: tuple[Transition, ...] = (
    Transition("notify", (V.RECORDED,), V.NOTIFIED, Action.EDIT),
    Transition(
        "rectify_violation",
        (V.NOTIFIED,),
        V.RECTIFIED,
        Action.EDIT,
        comment_required=True,
        takes_files=True,
    ),
    Transition("close", (V.RECTIFIED,), V.CLOSED, Action.APPROVE),
    Transition(
        "appeal", (V.NOTIFIED,), V.APPEALED, Action.EDIT, comment_required=True, takes_files=True
    ),
    Transition(
        "uphold_violation", (V.APPEALED,), V.NOTIFIED, Action.APPROVE, comment_required=True
    ),
    Transition("revoke", (V.APPEALED,), V.REVOKED, Action.APPROVE, comment_required=True),
)

ADMISSION_FLOW = declare(Workflow(table="contractor", transitions=ADMISSION))
VIOLATION_FLOW = declare(Workflow(table="contractor_violation", transitions=VIOLATION))


contractor_applied = opener("contractor", "apply")
violation_recorded = opener("contractor_violation", "record_violation")
