"""The approval chain of a permit (审批链): who may sign which step, which stage is open, and
what signing, rejecting and withdrawing a signature do to the signatures.

The chain comes from the permit's template (``core.permit.templates.stages``). A stage is open
when every stage before it is fully signed; in a parallel stage the steps sign in any order.
One person signs at most one step of a permit (the applicant cannot also approve it).
Withdrawing a signature (unapprove) also withdraws every signature of a later stage, since
they were given on the strength of it. Withdrawn signatures stay on record, marked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.crud import service
from core.crud.registry import get_spec
from core.db import utcnow
from core.permit.templates import CLOSE_OUT, Step, stages, template_for
from core.rbac import Actor
from models.accounts import User
from models.enums import Role
from models.permit import Permit, PermitDecision, PermitSignature
from models.permit_reference import PermitApprovalRole as R
from models.permit_reference import PermitGrade, PermitTemplate, PermitType

#: System roles that may sign each step (an admin may sign any). The work leader may also be
#: the applicant, the guardian only the person named on the permit, and the unit head only a
#: department head of the permit's own department.
SIGNER_ROLES: dict[str, frozenset[str]] = {
    R.WORK_LEADER: frozenset({Role.DEPT_HEAD, Role.SAFETY_MANAGER}),
    R.GAS_TESTER: frozenset({Role.INSPECTOR, Role.SAFETY_MANAGER}),
    R.GUARDIAN: frozenset(),
    R.UNIT_HEAD: frozenset({Role.SAFETY_HEAD}),
    R.SAFETY_DEPT: frozenset({Role.SAFETY_MANAGER, Role.SAFETY_HEAD}),
    R.PLANT_LEADER: frozenset({Role.SAFETY_HEAD}),
    R.ACCEPTOR: frozenset({Role.DEPT_HEAD, Role.SAFETY_MANAGER, Role.SAFETY_HEAD}),
}


def may_sign_role(permit: Permit, role: str, actor: Actor) -> bool:
    """Could ``actor`` hold ``role`` on this permit (ignoring what is already signed)?"""
    if actor.is_admin or actor.roles & SIGNER_ROLES.get(role, frozenset()):
        return True
    if role == R.WORK_LEADER:
        return actor.user_id is not None and actor.user_id == permit.applicant_id
    if role == R.GUARDIAN:
        return actor.person_id is not None and actor.person_id == permit.guardian_id
    if role in (R.UNIT_HEAD, R.ACCEPTOR):
        return Role.DEPT_HEAD in actor.roles and actor.department_id == permit.department_id
    return False


def may_sign_any(permit: Permit, actor: Actor) -> bool:
    """Coarse check for menus: could this actor hold any approval role of any chain?"""
    return any(may_sign_role(permit, role, actor) for role in SIGNER_ROLES if role != CLOSE_OUT)


@dataclass(frozen=True)
class ChainState:
    """Where a permit's approval stands."""

    stages: list[list[Step]]
    signed: dict[int, PermitSignature]  # template step index -> valid approving signature

    @property
    def open_stage(self) -> int | None:
        """Index of the first stage not fully signed; None when the chain is complete."""
        for i, stage in enumerate(self.stages):
            if any(s.index not in self.signed for s in stage):
                return i
        return None

    @property
    def complete(self) -> bool:
        return self.open_stage is None

    def open_steps(self) -> list[Step]:
        i = self.open_stage
        return [] if i is None else [s for s in self.stages[i] if s.index not in self.signed]

    def stage_of(self, step_index: int) -> int | None:
        for i, stage in enumerate(self.stages):
            if any(s.index == step_index for s in stage):
                return i
        return None


def template_of(session: Session, permit: Permit) -> PermitTemplate | None:
    """The template the permit was applied on; older permits follow their type's default."""
    if permit.template_id is not None:
        return session.get(PermitTemplate, permit.template_id)
    ptype = session.get(PermitType, permit.permit_type_id)
    return template_for(session, ptype.code) if ptype else None


def valid_signatures(session: Session, permit_id: int) -> list[PermitSignature]:
    stmt = (
        select(PermitSignature)
        .where(
            PermitSignature.permit_id == permit_id,
            col(PermitSignature.withdrawn_at).is_(None),
            col(PermitSignature.deleted_at).is_(None),
        )
        .order_by(col(PermitSignature.signed_at), col(PermitSignature.id))
    )
    return list(session.exec(stmt))


def signature_record(session: Session, actor: Actor, permit_id: int) -> list[PermitSignature]:
    """Every signature of a permit, withdrawn ones too, in signing order: the approval tab's
    record. Whoever may see the permit sees who signed it (a signer's own scope does not hide
    the others); a permit out of the actor's scope raises ``NotFound``."""
    service.get_row(session, get_spec("permit"), actor, permit_id)
    stmt = (
        select(PermitSignature)
        .where(PermitSignature.permit_id == permit_id, col(PermitSignature.deleted_at).is_(None))
        .order_by(col(PermitSignature.signed_at), col(PermitSignature.id))
    )
    return list(session.exec(stmt))


def chain_state(session: Session, permit: Permit, template: PermitTemplate | None) -> ChainState:
    grade = session.get(PermitGrade, permit.grade_id) if permit.grade_id else None
    chain = stages(template.approval_steps if template else [], grade.code if grade else None)
    signed = {
        s.step: s
        for s in valid_signatures(session, permit.id)
        if s.decision == PermitDecision.APPROVE and s.role != CLOSE_OUT
    }
    return ChainState(chain, signed)


def step_for(state: ChainState, permit: Permit, actor: Actor) -> Step | None:
    """The open step ``actor`` would sign now, or None (not their turn, or already signed)."""
    if actor.user_id is not None and any(
        s.signer_id == actor.user_id for s in state.signed.values()
    ):
        return None  # one signature per person per permit
    return next((s for s in state.open_steps() if may_sign_role(permit, s.role, actor)), None)


def display_name(session: Session, actor: Actor) -> str:
    """The name a printed permit shows: the account's display name, else its user name."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    return (user.display_name if user and user.display_name else actor.username)[:50]


def add_signature(
    session: Session,
    permit: Permit,
    actor: Actor,
    *,
    step: int,
    role: str,
    decision: PermitDecision = PermitDecision.APPROVE,
    comment: str | None = None,
) -> PermitSignature:
    signature = PermitSignature(
        permit_id=permit.id,
        step=step,
        role=role,
        signer_id=actor.user_id,
        signer_name=display_name(session, actor),
        decision=decision,
        comment=comment or None,
        signed_at=utcnow(),
        enterprise_id=permit.enterprise_id,
        department_id=permit.department_id,
        created_by=actor.user_id,
    )
    session.add(signature)
    session.flush()
    return signature


def withdraw_from(session: Session, permit: Permit, state: ChainState, actor: Actor) -> int:
    """Withdraw ``actor``'s approving signature and those of every later stage; returns how
    many were withdrawn (0: the actor holds no valid signature)."""
    own = next((s for s in state.signed.values() if s.signer_id == actor.user_id), None)
    if own is None:
        return 0
    first = state.stage_of(own.step)
    now = utcnow()
    withdrawn = 0
    for sig in state.signed.values():
        stage = state.stage_of(sig.step)
        if sig is own or (first is not None and stage is not None and stage > first):
            sig.withdrawn_at = now
            session.add(sig)
            withdrawn += 1
    session.flush()
    return withdrawn


def withdraw_all(session: Session, permit_id: int) -> None:
    """A resubmitted permit starts its chain again: earlier signatures stay, marked."""
    now = utcnow()
    for sig in valid_signatures(session, permit_id):
        sig.withdrawn_at = now
        session.add(sig)
    session.flush()
