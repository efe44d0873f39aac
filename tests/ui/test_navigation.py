"""Navigation by job: a short menu per role, module home pages that open only what the user
can use, detail registers reached from their parent record, and every old address kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.crud.registry import all_specs, children_of
from core.i18n import t
from core.ui.nav import (
    MODULE_HOMES,
    all_pages,
    role_actor,
    top_level_entries,
    visible_pages,
)
from core.ui.workbench import WORKBENCH_PAGES
from models.enums import Role
from tests.ui.conftest import REPO

ROLES = [r.value for r in Role]


def test_the_admin_menu_is_short_and_every_other_role_sees_less() -> None:
    admin = top_level_entries("admin")
    assert 15 <= len(admin) <= 25
    for role in ROLES:
        entries = top_level_entries(role)
        assert len(entries) <= len(admin), role
        assert {p.path for p in entries} <= {p.path for p in admin}, role
    assert [p.path for p in top_level_entries("display")] == ["pages/analytics_screen.py"]
    employee = {p.path for p in top_level_entries("employee")}
    assert "pages/org_home.py" not in employee, "their own records are on the workbench"
    assert "pages/settings_home.py" not in employee
    assert "pages/hazard_report.py" in employee


def test_the_menu_holds_no_register() -> None:
    """Registers are one click further, on their module's home page."""
    registers = {s.page for s in all_specs() if s.page}
    for role in ROLES:
        assert not registers & {p.path for p in top_level_entries(role)}, role


def test_every_entry_is_a_page_the_role_may_open() -> None:
    for role in ROLES:
        actor = role_actor(role)
        open_paths = {p.path for p in visible_pages(actor)}
        assert {p.path for p in top_level_entries(actor)} <= open_paths, role


def test_detail_registers_hang_under_their_parent() -> None:
    details = [s for s in all_specs() if s.parent]
    assert {s.name for s in details} >= {"permit_gas_reading", "permit_signature", "video_zone"}
    for spec in details:
        parent = spec.field(spec.parent or "").fk
        assert spec in children_of(parent or ""), spec.name


def test_every_page_file_keeps_its_address() -> None:
    """Old bookmarks keep working: every file under pages/ is routed (its address is its
    file name), and every routed page exists."""
    files = {f"pages/{p.name}" for p in (REPO / "pages").glob("*.py")}
    routed = {p.path for p in all_pages()}
    assert files == routed
    assert all((REPO / p).is_file() for p in routed)
    assert len(routed) == len({Path(p).stem for p in routed})


def test_entries_have_titles_in_both_languages() -> None:
    for p in [*top_level_entries("admin"), *WORKBENCH_PAGES]:
        for lang in ("zh-CN", "en"):
            assert t(p.title, lang) != p.title, (p.title, lang)


def _links(at) -> list[str]:
    return [str(p.proto.label) for p in at.get("page_link")]


def test_the_sidebar_shows_the_role_menu(open_page, ui_world) -> None:
    at = open_page(None, as_user="employee_a")
    assert not at.exception
    sidebar = [str(p.proto.label) for p in at.sidebar.get("page_link")]
    expected = [t(p.title) for p in top_level_entries(ui_world[1].employee_a)]
    assert sidebar[: len(expected)] == expected
    assert t("table.permit_gas_reading") not in sidebar


def test_a_module_home_shows_figures_and_only_useful_registers(open_page) -> None:
    at = open_page("pages/hazard_home.py", as_user="employee_a")
    assert not at.exception
    assert at.title[0].value == t("module.hazard")
    links = _links(at)
    assert any(label.startswith(t("table.hazard")) for label in links)
    at = open_page("pages/training_home.py", as_user="employee_a")
    assert not at.exception
    # the employee may not add courses and sees none in the test world: no door to them
    assert not any(label.startswith(t("table.training_course")) for label in _links(at))


def test_a_detail_register_leads_back_to_its_parent(open_page) -> None:
    at = open_page("pages/permit_permit_gas_reading.py", as_user="inspector_a")
    assert not at.exception
    assert at.title[0].value == t("table.permit_gas_reading")
    assert any(label.startswith("← ") for label in _links(at)), "a way back to the permit"


@pytest.mark.parametrize("page", [p.path for p in MODULE_HOMES] + ["pages/settings_home.py"])
def test_module_homes_render_in_english(open_page, page: str) -> None:
    at = open_page(page, lang="en")
    assert not at.exception
    assert at.title and at.title[0].value


def _role_table() -> str:
    lines = ["| role | entries | menu (English) |", "|---|---|---|"]
    for role in ROLES:
        entries = top_level_entries(role)
        names = " · ".join(t(p.title, "en") for p in entries)
        lines.append(f"| {t(f'enum.Role.{role}', 'en')} (`{role}`) | {len(entries)} | {names} |")
    return "\n".join(lines)


def test_the_docs_list_each_roles_menu() -> None:
    """docs/architecture.md shows every role's menu as the code builds it."""
    doc = (REPO / "docs/architecture.md").read_text(encoding="utf-8")
    assert _role_table() in doc, "regenerate the table:\n" + _role_table()
