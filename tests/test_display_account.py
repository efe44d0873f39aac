"""A wall screen's account shows figures and nothing else, in the data layer, whatever its
grants say: no register, record, export, attachment or console query (issue 19, point 7)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session

from analytics.sql_console import Refused, run_query
from core.crud import excel, service
from core.crud.registry import get_spec
from core.rbac import PermissionDenied
from core.ui.nav import visible_pages
from models.enums import Action, Module
from tests.factories import Users


def test_the_display_account_may_show_figures_only(users: Users) -> None:
    display = users.display
    assert display.screen_only and ("hazard", "display") in display.grants
    assert not display.can(Module.HAZARD, Action.VIEW)
    older = replace(display, grants=display.grants | {("hazard", "view")})  # an older matrix
    assert not older.can(Module.HAZARD, Action.VIEW) and older.can(Module.HAZARD, "display")
    assert display.can(Module.HAZARD, Action.DISPLAY) and display.can(Module.ANALYTICS, "display")
    assert not display.can(Module.ANALYTICS, Action.VIEW)
    assert [p.path for p in visible_pages(display)] == ["pages/analytics_screen.py"]


def test_viewing_a_module_includes_showing_it_on_the_wall(users: Users) -> None:
    assert users.safety_head.can(Module.ANALYTICS, Action.DISPLAY)
    assert users.admin.can(Module.HAZARD, Action.DISPLAY)
    assert not users.employee_a.can(Module.ANALYTICS, Action.DISPLAY)


@pytest.mark.parametrize("table", ["hazard", "permit", "risk_point", "camera"])
def test_no_register_opens_to_the_display_account(
    session: Session, users: Users, table: str
) -> None:
    spec = get_spec(table)
    with pytest.raises(PermissionDenied):
        service.list_rows(session, spec, users.display, service.ListQuery())
    with pytest.raises(PermissionDenied):
        service.get_row(session, spec, users.display, 1)
    with pytest.raises(PermissionDenied):
        excel.export(session, spec, users.display, service.ListQuery(), "csv", "zh-CN")


def test_the_console_refuses_the_display_account(engine, users: Users) -> None:
    with pytest.raises(Refused) as refused:
        run_query(engine, users.display, "SELECT count(*) FROM hazard")
    assert refused.value.key == "sql_console.refused.module"
