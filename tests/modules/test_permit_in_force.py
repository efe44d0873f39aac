"""A permit is "in use" (在用) only while it authorises work: approved, under way or paused and
before its planned end; one past its planned end is overdue to close (issue 19, point 6)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from analytics import screen
from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.url_filters import parse
from core.db import utcnow
from core.permit.in_force import in_force_clause, overdue_to_close_clause
from models.permit import Permit, PermitState
from models.permit_reference import PermitType
from tests.factories import Org, Users, serial

HOUR = timedelta(hours=1)


def _permits(session: Session, org: Org) -> dict[str, int]:
    kind = PermitType(code=f"T{serial() % 10_000}", name="动火作业", name_en="Hot work")
    session.add(kind)
    session.flush()
    now = utcnow()
    cases = {
        "under_way": (PermitState.IN_PROGRESS, now + 2 * HOUR),
        "approved": (PermitState.APPROVED, now + 5 * HOUR),
        "paused": (PermitState.SUSPENDED, now + HOUR),
        "ran_over": (PermitState.IN_PROGRESS, now - HOUR),
        "approved_never_started": (PermitState.APPROVED, now - 30 * HOUR),
        "closed": (PermitState.CLOSED, now - 3 * HOUR),
        "draft": (PermitState.DRAFT, now + 3 * HOUR),
    }
    ids = {}
    for name, (state, end) in cases.items():
        permit = Permit(
            number=f"IF{serial():08d}",
            permit_type_id=kind.id,
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            location=name,
            planned_start=end - 8 * HOUR,
            planned_end=end,
            content=name,
            state=state,
        )
        session.add(permit)
        session.flush()
        ids[name] = permit.id
    return ids


def _named(session: Session, ids: dict[str, int], clause) -> set[str]:
    names = {v: k for k, v in ids.items()}
    found = session.exec(select(Permit.id).where(clause, Permit.id.in_(list(ids.values()))))
    return {names[i] for i in found.all()}


def test_a_permit_past_its_planned_end_is_not_in_use_but_overdue_to_close(
    session: Session, org: Org
) -> None:
    ids = _permits(session, org)
    now = utcnow()
    assert _named(session, ids, in_force_clause(now)) == {"under_way", "approved", "paused"}
    assert _named(session, ids, overdue_to_close_clause(now)) == {
        "ran_over",
        "approved_never_started",
    }


def test_the_list_presets_and_the_wall_agree(session: Session, org: Org, users: Users) -> None:
    ids = _permits(session, org)
    spec = get_spec("permit")
    mine = Permit.id.in_(list(ids.values()))
    for preset, expected in (("in_force", 3), ("overdue_close", 2)):
        url = parse("permit", spec.fields, {f"f.{preset}": "1"}, today=site_today(), zone="UTC")
        assert not url.ignored, url.ignored
        query = service.ListQuery(filters=url.filters, where=[*url.where, mine])
        assert service.list_rows(session, spec, users.admin, query).total == expected, preset
    listed = screen.active_permits(session, users.admin, limit=1000)
    shown = {r.location for r in listed.rows} & set(ids)
    assert shown == {"under_way", "approved", "paused"}
    assert session.exec(select(func.count()).select_from(Permit)).one() >= len(ids)
