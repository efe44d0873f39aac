"""A hazard of one department fixed by someone of another: the common case of a maintenance
technician of 机修车间 (A) made owner of a hazard found in 铸造车间 (B). Whatever his scope
(department as an inspector, own as an employee) he finds it in the register, opens it, has
it on his to-do list and rectifies it; a colleague of his who is not its owner sees nothing.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session

from core.clock import site_today
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound
from core.hazard.flow import act, report_hazard
from core.inbox import todo_for
from core.rbac import Actor, actor_for
from models.enums import Role
from models.hazard import Hazard, HazardState
from tests import factories
from tests.factories import Org, Users

HAZARD = get_spec("hazard")


def photo() -> tuple[str, bytes]:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 160, 60)).save(buf, "PNG")
    return ("fixed.png", buf.getvalue())


@pytest.fixture(params=[Role.INSPECTOR, Role.EMPLOYEE], ids=["department", "own"])
def technician(request, session: Session, org: Org, settings) -> Actor:
    """刘建国, maintenance technician of 机修车间 (A), with an account linked to his person."""
    person = factories.person(session, org.ent1, org.dept_a, name="刘建国")
    user = factories.user(
        session,
        settings,
        f"liu_{request.param}",
        request.param,
        park_id=org.park,
        enterprise_id=org.ent1,
        department_id=org.dept_a,
        person_id=person.id,
    )
    return actor_for(session, user)


def workshop_hazard(session: Session, org: Org, users: Users, owner: Actor) -> Hazard:
    """Found in 铸造车间 (B) by its inspector, assigned by the safety head to ``owner``."""
    h = report_hazard(
        session,
        users.inspector_b,
        {
            "title": "浇注区行车限位失灵",
            "enterprise_id": org.ent1,
            "department_id": org.dept_b,
            "location": "铸造车间浇注区",
        },
    )
    act(session, users.safety_head, h.id, "confirm", payload={"owner_id": owner.person_id})
    return h


def test_the_owner_of_another_department_sees_and_rectifies(session, org, users, technician):
    h = workshop_hazard(session, org, users, technician)
    listed = service.list_rows(session, HAZARD, technician, ListQuery(page_size=500))
    assert h.id in {r.id for r in listed.rows}
    assert service.get_row(session, HAZARD, technician, h.id).number == h.number
    todo = todo_for(session, technician, site_today())
    assert ("todo.hazard_rectify", h.id) in {(i.key, i.row_id) for i in todo}
    act(
        session,
        technician,
        h.id,
        "rectify",
        payload={"measures": "更换行车限位开关并试车"},
        files=[photo()],
    )
    session.refresh(h)
    assert h.state == HazardState.VERIFYING and h.rectifier_id == technician.user_id


def test_a_colleague_who_is_not_the_owner_sees_nothing(session, org, users, technician):
    h = workshop_hazard(session, org, users, technician)
    colleague = users.inspector_a  # 机修车间 too, but not the owner
    listed = service.list_rows(session, HAZARD, colleague, ListQuery(page_size=500))
    assert h.id not in {r.id for r in listed.rows}
    with pytest.raises(NotFound):
        service.get_row(session, HAZARD, colleague, h.id)
    with pytest.raises(NotFound):
        act(session, colleague, h.id, "rectify", payload={"measures": "x"}, files=[photo()])
