"""Who may do what, and on which rows, enforced in the data layer (``core.crud.service``) so a
page that forgets to hide a button still cannot leak or change a row.

The cast: inspector_a works in 机修车间 (A), inspector_b in 铸造车间 (B) of enterprise 1;
safety_head runs enterprise 1; park_supervisor oversees both enterprises of the park;
employee_a sees only what they created; display is a wall screen that only reads dashboards.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery, NotFound
from core.rbac import SYSTEM, PermissionDenied, seed_permissions, set_grant
from models.accounts import RolePermission
from models.enums import Action, Module, Role
from models.org import Person
from tests import factories
from tests.factories import Org, Users

PERSON = get_spec("person")
CERTIFICATE = get_spec("certificate")
ENTERPRISE = get_spec("enterprise")


def _names(session: Session, table: str, actor, **query) -> set[str]:
    spec = get_spec(table)
    page = service.list_rows(session, spec, actor, ListQuery(page_size=500, **query))
    return {getattr(row, spec.title_field) for row in page.rows}


def _grant(session: Session, users: Users, role: Role, action: Action, name: str):
    """Admin ticks a box in the permission matrix; returns the user re-read afterwards."""
    set_grant(session, users.admin, role.value, Module.ORG.value, action.value, True)
    session.flush()
    return users.refreshed(session, name)


class TestDepartmentInspector:
    """The acceptance test: department A's inspector cannot reach department B's rows."""

    def test_lists_only_department_a(self, session: Session, users: Users) -> None:
        assert _names(session, "person", users.inspector_a) == {"张伟", "李娜"}
        assert _names(session, "person", users.inspector_b) == {"王强"}
        assert _names(session, "department", users.inspector_a) == {"机修车间"}

    def test_filters_and_search_cannot_widen_scope(
        self, session: Session, org: Org, users: Users
    ) -> None:
        by_filter = _names(
            session, "person", users.inspector_a, filters={"department_id": org.dept_b}
        )
        by_search = _names(session, "person", users.inspector_a, search="王强")

        assert by_filter == by_search == set()

    @pytest.mark.parametrize(("table", "attr"), [("person", "person_b"), ("certificate", "cert_b")])
    def test_cannot_get_update_or_see_history_of_department_b(
        self, session: Session, org: Org, users: Users, table: str, attr: str
    ) -> None:
        spec, row_id = get_spec(table), getattr(org, attr)

        with pytest.raises(NotFound) as got:
            service.get_row(session, spec, users.inspector_a, row_id)
        with pytest.raises(NotFound):
            service.update_row(session, spec, users.inspector_a, row_id, {"phone": "13800000000"})
        with pytest.raises(NotFound):
            service.history(session, spec, users.inspector_a, row_id)

        assert got.value.message("en") == "The record does not exist or is outside your data scope"
        assert service.get_row(session, spec, users.inspector_b, row_id).id == row_id

    @pytest.mark.parametrize(("table", "attr"), [("person", "person_b"), ("certificate", "cert_b")])
    def test_cannot_delete_department_b(
        self, session: Session, org: Org, users: Users, table: str, attr: str
    ) -> None:
        spec, row_id = get_spec(table), getattr(org, attr)
        with pytest.raises(PermissionDenied) as denied:
            service.soft_delete(session, spec, users.inspector_a, row_id)  # no delete grant
        assert denied.value.key == "error.permission_denied"

        inspector = _grant(session, users, Role.INSPECTOR, Action.DELETE, "inspector_a")
        with pytest.raises(NotFound):  # allowed to delete, but not this row
            service.soft_delete(session, spec, inspector, row_id)
        assert service.get_row(session, spec, users.admin, row_id).deleted_at is None

    def test_cannot_create_in_department_b(self, session: Session, org: Org, users: Users) -> None:
        with pytest.raises(PermissionDenied) as no_grant:
            service.create_row(session, PERSON, users.inspector_a, {"name": "新人"})
        assert no_grant.value.key == "error.permission_denied"

        inspector = _grant(session, users, Role.INSPECTOR, Action.CREATE, "inspector_a")
        with pytest.raises(PermissionDenied) as out:
            service.create_row(
                session, PERSON, inspector, {"name": "新人", "department_id": org.dept_b}
            )

        assert out.value.key == "error.out_of_scope"
        assert "nothing was saved" in out.value.message("en")
        assert session.exec(select(Person).where(Person.name == "新人")).first() is None

    def test_new_rows_land_in_the_inspectors_department(
        self, session: Session, org: Org, users: Users
    ) -> None:
        inspector = _grant(session, users, Role.INSPECTOR, Action.CREATE, "inspector_a")

        row = service.create_row(session, PERSON, inspector, {"name": "新人"})

        assert (row.enterprise_id, row.department_id) == (org.ent1, org.dept_a)
        assert row.created_by == inspector.user_id

    def test_cannot_move_a_row_out_of_department_a(
        self, session: Session, org: Org, users: Users
    ) -> None:
        with pytest.raises(PermissionDenied) as out:
            service.update_row(
                session, PERSON, users.inspector_a, org.person_a, {"department_id": org.dept_b}
            )

        assert out.value.key == "error.out_of_scope"
        assert (
            service.get_row(session, PERSON, users.admin, org.person_a).department_id == org.dept_a
        )

    def test_cannot_refer_to_department_b_rows(
        self, session: Session, org: Org, users: Users
    ) -> None:
        """A certificate for B's worker: the worker looks absent, by id or by name."""
        for person in (org.person_b, "王强"):
            with pytest.raises(service.ValidationFailed) as failed:
                service.update_row(
                    session, CERTIFICATE, users.inspector_a, org.cert_a, {"person_id": person}
                )
            assert [p.key for p in failed.value.problems] == ["validation.fk_missing"]

    def test_may_edit_department_a(self, session: Session, org: Org, users: Users) -> None:
        row = service.update_row(
            session, PERSON, users.inspector_a, org.person_a, {"phone": "13800000000"}
        )

        assert row.phone == "13800000000"


class TestEnterpriseHead:
    def test_sees_the_whole_enterprise_only(self, session: Session, users: Users) -> None:
        assert _names(session, "person", users.safety_head) == {"张伟", "李娜", "王强"}
        assert _names(session, "enterprise", users.safety_head) == {"苏州精工机械有限公司"}

    def test_cannot_write_into_the_other_enterprise(
        self, session: Session, org: Org, users: Users
    ) -> None:
        with pytest.raises(PermissionDenied) as out:
            service.create_row(
                session, PERSON, users.safety_head, {"name": "新人", "enterprise_id": org.ent2}
            )
        assert out.value.key == "error.out_of_scope"

        with pytest.raises(NotFound):
            service.soft_delete(session, PERSON, users.safety_head, org.person_e2)


class TestParkSupervisor:
    def test_sees_every_enterprise_of_the_park_and_no_other(
        self, session: Session, users: Users
    ) -> None:
        other = factories.park(session, name="另一园区")
        factories.enterprise(session, other.id, name="园区外企业")

        assert _names(session, "enterprise", users.park_supervisor) == {
            "苏州精工机械有限公司",
            "苏州华信化工有限公司",
        }
        assert _names(session, "person", users.park_supervisor) == {"张伟", "李娜", "王强", "赵敏"}
        assert len(_names(session, "certificate", users.park_supervisor)) == 3

    def test_reads_but_cannot_edit_delete_or_create(
        self, session: Session, org: Org, users: Users
    ) -> None:
        supervisor = users.park_supervisor
        assert service.get_row(session, PERSON, supervisor, org.person_e2).name == "赵敏"

        with pytest.raises(PermissionDenied):
            service.update_row(session, PERSON, supervisor, org.person_e2, {"phone": "1"})
        with pytest.raises(PermissionDenied):
            service.soft_delete(session, ENTERPRISE, supervisor, org.ent2)
        with pytest.raises(PermissionDenied) as denied:
            service.create_row(
                session, PERSON, supervisor, {"name": "x", "enterprise_id": org.ent1}
            )
        assert denied.value.message("en") == "Not permitted: Organisation · create"


class TestDisplayAccount:
    def test_reads_dashboards_only(self, users: Users) -> None:
        display = users.display
        assert display.can(Module.ANALYTICS, Action.DISPLAY)
        assert not display.can(Module.ANALYTICS, Action.VIEW)
        assert not display.can(Module.ORG, Action.VIEW)
        assert not any(display.can(m, Action.CREATE) for m in Module)

    def test_cannot_create_or_list_people(self, session: Session, org: Org, users: Users) -> None:
        with pytest.raises(PermissionDenied):
            service.create_row(session, PERSON, users.display, {"name": "x"})
        with pytest.raises(PermissionDenied):
            service.list_rows(session, PERSON, users.display, ListQuery())


class TestOwnScope:
    def test_employee_sees_only_rows_they_created_and_their_own_record(
        self, session: Session, org: Org, users: Users
    ) -> None:
        """Own scope: what they typed in, plus the person record about them (张伟)."""
        mine = Person(
            name="自己录入",
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            created_by=users.employee_a.user_id,
        )
        session.add(mine)
        session.flush()

        assert _names(session, "person", users.employee_a) == {"自己录入", "张伟"}
        assert service.get_row(session, PERSON, users.employee_a, mine.id).id == mine.id
        with pytest.raises(NotFound):
            service.get_row(session, PERSON, users.employee_a, org.person_a2)

    def test_employee_cannot_edit_even_their_own_rows(
        self, session: Session, org: Org, users: Users
    ) -> None:
        with pytest.raises(PermissionDenied):
            service.update_row(session, PERSON, users.employee_a, org.person_a, {"phone": "1"})


class TestPermissionMatrix:
    def test_revoking_a_grant_takes_effect_at_once(self, session: Session, users: Users) -> None:
        set_grant(session, users.admin, Role.INSPECTOR, Module.ORG, Action.VIEW, False)
        session.flush()
        inspector = users.refreshed(session, "inspector_a")

        with pytest.raises(PermissionDenied):
            service.list_rows(session, PERSON, inspector, ListQuery())
        assert users.refreshed(session, "inspector_b").can(Module.ORG, Action.EDIT)

    def test_granting_twice_or_revoking_twice_is_harmless(
        self, session: Session, users: Users
    ) -> None:
        for on in (True, True, False, False):
            set_grant(session, users.admin, Role.EMPLOYEE, Module.ORG, Action.EXPORT, on)
            session.flush()

        assert not users.refreshed(session, "employee_a").can(Module.ORG, Action.EXPORT)

    def test_admin_grants_cannot_be_changed(self, session: Session, users: Users) -> None:
        with pytest.raises(PermissionDenied) as denied:
            set_grant(session, users.admin, Role.ADMIN, Module.ORG, Action.VIEW, False)

        assert denied.value.key == "error.admin_grants_fixed"
        assert users.refreshed(session, "admin").can(Module.ORG, Action.VIEW)

    @pytest.mark.parametrize("who", ["safety_head", "inspector_a", "park_supervisor"])
    def test_only_configurers_may_edit_the_matrix(
        self, session: Session, users: Users, who: str
    ) -> None:
        with pytest.raises(PermissionDenied):
            set_grant(session, getattr(users, who), Role.INSPECTOR, Module.ORG, Action.DELETE, True)

    def test_seeding_keeps_an_edited_matrix_unless_replaced(
        self, session: Session, users: Users
    ) -> None:
        set_grant(session, users.admin, Role.INSPECTOR, Module.ORG, Action.DELETE, True)
        session.flush()

        assert seed_permissions(session) == 0
        assert users.refreshed(session, "inspector_a").can(Module.ORG, Action.DELETE)

        assert seed_permissions(session, replace=True) > 0
        session.flush()
        assert not users.refreshed(session, "inspector_a").can(Module.ORG, Action.DELETE)

    def test_default_matrix_gives_admin_every_module(self, session: Session) -> None:
        admin_grants = session.exec(
            select(RolePermission.module, RolePermission.action).where(
                RolePermission.role == "admin"
            )
        ).all()

        assert {m for m, _ in admin_grants} == {m.value for m in Module}
        assert SYSTEM.can(Module.SYSTEM, Action.CONFIGURE)
