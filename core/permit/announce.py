"""Who hears of each step of a permit (作业票通知): the next signers, the applicant and the
guardian, the other crews of a SIMOPS overlap and the safety managers. Kept apart from the
state machine so the flow reads as its steps only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from core.notify import notify, users_with_role
from core.permit.approval import SIGNER_ROLES, chain_state, template_of
from core.rbac import Actor
from models.accounts import User
from models.enums import Role
from models.permit import Permit
from models.permit import PermitState as S
from models.workflow import WorkflowEvent


def _users_of_person(session: Session, person_id: int | None) -> list[int]:
    if person_id is None:
        return []
    return list(session.exec(select(User.id).where(User.person_id == person_id)).all())


def _signers_of(session: Session, p: Permit, roles: Sequence[str]) -> list[int]:
    ids: set[int] = set()
    for role in roles:
        for system_role in SIGNER_ROLES.get(role, frozenset()):
            ids.update(users_with_role(session, system_role, enterprise_id=p.enterprise_id))
        if role == "guardian":
            ids.update(_users_of_person(session, p.guardian_id))
        if role in ("unit_head", "acceptor"):
            ids.update(
                users_with_role(
                    session,
                    Role.DEPT_HEAD,
                    enterprise_id=p.enterprise_id,
                    department_id=p.department_id,
                )
            )
        if role == "work_leader" and p.applicant_id:
            ids.add(p.applicant_id)
    return sorted(ids)


def _crew_users(session: Session, p: Permit) -> list[int]:
    ids = {p.applicant_id, *_users_of_person(session, p.guardian_id)}
    return sorted(i for i in ids if i is not None)


def announce(session: Session, p: Permit, event: WorkflowEvent, actor: Actor) -> None:
    """Who hears of each step: the next signers, the applicant, the guardian, the managers."""
    ref = {"table_name": "permit", "row_id": p.id, "enterprise_id": p.enterprise_id}
    params = {"number": p.number, "location": p.location}
    if event.to_state == S.APPROVING and event.action in ("submit", "sign", "unapprove"):
        state = chain_state(session, p, template_of(session, p))
        roles = [s.role for s in state.open_steps()]
        notify(
            session, _signers_of(session, p, roles), "notify.permit_to_sign", params=params, **ref
        )
    if event.action == "submit" and p.simops:
        others = session.exec(select(Permit).where(col(Permit.id).in_(p.simops))).all()
        numbers = ", ".join(o.number or str(o.id) for o in others)
        users = {*_crew_users(session, p)}
        for other in others:
            users.update(_crew_users(session, other))
        users.update(users_with_role(session, Role.SAFETY_MANAGER, enterprise_id=p.enterprise_id))
        notify(
            session,
            users,
            "notify.permit_simops",
            params={**params, "others": numbers},
            severity="warning",
            **ref,
        )
    messages = {
        "sign_final": ("notify.permit_approved", "info"),
        "reject": ("notify.permit_rejected", "warning"),
        "suspend": ("notify.permit_suspended", "error"),
    }
    if event.action in messages:
        message, severity = messages[event.action]
        users = set(_crew_users(session, p))
        if event.action == "suspend":
            users.update(
                users_with_role(session, Role.SAFETY_MANAGER, enterprise_id=p.enterprise_id)
            )
        notify(
            session,
            users,
            message,
            params={**params, "reason": event.comment or ""},
            severity=severity,
            **ref,
        )
