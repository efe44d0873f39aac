"""List pages filtered from their URL (``?f.<field>=…``, as the cockpit's tiles link them): the
filters narrow the hazard list, a preset (overdue) works, bad parameters give a notice instead
of an error, the actor's scope still applies, and the caption's button clears them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import site_today
from core.crud import url_filters
from core.crud.registry import get_spec
from core.db import session_scope, utcnow
from core.i18n import t
from models.emergency_supply import (
    EmergencySupply,
    EmergencySupplyCategory,
    EmergencySupplyStatus,
)
from models.hazard import Hazard, HazardLevel, HazardState
from tests.factories import Org, Users, serial
from tests.ui.test_pages import _text

PAGE = "pages/hazard_hazard.py"


@dataclass(frozen=True)
class Rows:
    """Hazard numbers: ``overdue`` (A, major), ``open_`` (A, general, due later), ``closed_b``
    (B, major, closed after its deadline) and ``november`` (A, found in November 2026)."""

    overdue: str
    open_: str
    closed_b: str
    november: str

    @property
    def all(self) -> set[str]:
        return {self.overdue, self.open_, self.closed_b, self.november}


@pytest.fixture(scope="module")
def rows(ui_world: tuple[Org, Users]) -> Rows:
    org = ui_world[0]
    today, now = site_today(), utcnow()
    specs = {
        "overdue": (org.dept_a, HazardLevel.MAJOR, HazardState.RECTIFYING, -5, now),
        "open_": (org.dept_a, HazardLevel.GENERAL, HazardState.RECTIFYING, 5, now),
        "closed_b": (org.dept_b, HazardLevel.MAJOR, HazardState.CLOSED, -5, now),
        "november": (
            org.dept_a,
            HazardLevel.GENERAL,
            HazardState.REPORTED,
            None,
            datetime(2026, 11, 5, 2, tzinfo=UTC),
        ),
    }
    numbers = {}
    with session_scope() as session:
        for name, (dept, level, state, due, found) in specs.items():
            numbers[name] = f"UF-{serial():06d}"
            session.add(
                Hazard(
                    enterprise_id=org.ent1,
                    department_id=dept,
                    number=numbers[name],
                    title=f"链接筛选 {name}",
                    level=level,
                    state=state,
                    found_at=found - timedelta(days=1),
                    deadline=None if due is None else today + timedelta(days=due),
                    closed_at=now if state == HazardState.CLOSED else None,
                )
            )
    return Rows(**numbers)


def _open(open_page, params: dict[str, str], as_user: str = "admin") -> AppTest:
    at = open_page(None, as_user=as_user)
    at.query_params.update(params)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _shown(at: AppTest, rows: Rows) -> set[str]:
    grid = at.dataframe[0].value.to_string()
    return {n for n in rows.all if n in grid}


def test_url_filters_narrow_the_hazard_list(open_page, ui_world, rows: Rows) -> None:
    org = ui_world[0]
    assert _shown(_open(open_page, {}), rows) == rows.all

    at = _open(open_page, {"f.level": "MAJOR"})
    assert _shown(at, rows) == {rows.overdue, rows.closed_b}
    applied = t("cockpit.filter.applied", filters="")
    assert any(c.value.startswith(applied) for c in at.caption), _text(at)
    assert t("enum.HazardLevel.major") in _text(at)

    at = _open(open_page, {"f.level": "major", "f.department_id": str(org.dept_a)})
    assert _shown(at, rows) == {rows.overdue}
    assert _shown(_open(open_page, {"f.overdue": "1"}), rows) == {rows.overdue}
    november = {"f.found_at": "2026-11-01..2026-11-30"}
    assert _shown(_open(open_page, november), rows) == {rows.november}
    states = {"f.state": "CLOSED,REPORTED", "f.found_at": "..2026-11-30"}
    assert _shown(_open(open_page, states), rows) == {rows.november}


def test_bad_parameters_give_a_notice_not_an_error(open_page, rows: Rows) -> None:
    bad = {
        "f.bogus": "1",
        "f.level": "HUGE",
        "f.found_at": "2026-13-01",
        "f.title": "x",
        "f.department_id": "A",
        "f.overdue": "maybe",
    }
    at = _open(open_page, bad)

    assert _shown(at, rows) == rows.all, "nothing narrowed by what was not understood"
    notice = "\n".join(w.value for w in at.warning)
    assert t("cockpit.filter.ignored", params="").rstrip() in notice
    assert all(f"{k}={v}" in notice for k, v in bad.items())
    assert "⟦" not in _text(at)


def test_the_actor_s_scope_still_applies(open_page, ui_world, rows: Rows) -> None:
    org = ui_world[0]
    other = {"f.department_id": str(org.dept_b)}
    assert _shown(_open(open_page, other), rows) == {rows.closed_b}

    at = _open(open_page, other, as_user="inspector_a")
    assert _shown(at, rows) == set(), "another department's id opens nothing of it"
    at = _open(open_page, {"f.state": "CLOSED"}, as_user="inspector_a")
    assert _shown(at, rows) == set()
    at = _open(open_page, {"f.level": "MAJOR"}, as_user="inspector_a")
    assert _shown(at, rows) == {rows.overdue}


def test_the_caption_s_button_clears_the_filters(open_page, rows: Rows) -> None:
    at = _open(open_page, {"f.level": "MAJOR", "id": "0"})
    clear = next(b for b in at.button if b.label == t("cockpit.filter.clear"))
    clear.click().run()

    assert not at.exception, at.exception
    assert "f.level" not in at.query_params and at.query_params.get("id") == "0"
    assert _shown(at, rows) == rows.all


def test_english_caption_and_notice(open_page, rows: Rows) -> None:
    at = open_page(None, lang="en")
    at.query_params.update({"f.overdue": "1", "f.nope": "2"})
    at.switch_page(PAGE).run()

    assert not at.exception, at.exception
    text = _text(at)
    assert t("cockpit.filter.overdue", "en") in text and "f.nope=2" in text
    assert "⟦" not in text


def test_parse_and_params_are_inverse() -> None:
    spec = get_spec("hazard")
    filters = {
        "state": [HazardState.CLOSED, HazardState.VERIFYING],
        "deadline": (date(2026, 11, 1), None),
        "department_id": [3, 4],
    }
    query = url_filters.params(filters)
    assert query == {
        "f.state": "CLOSED,VERIFYING",
        "f.deadline": "2026-11-01..",
        "f.department_id": "3,4",
    }
    parsed = url_filters.parse(
        "hazard", spec.fields, query, today=date(2026, 11, 20), zone="Asia/Shanghai"
    )
    assert parsed.filters == {
        "state": ["closed", "verifying"],
        "deadline": (date(2026, 11, 1), None),
        "department_id": [3, 4],
    }
    assert not parsed.ignored and parsed.fields == {"state", "deadline", "department_id"}


def test_a_preset_and_a_field_on_the_same_column_both_hold() -> None:
    spec = get_spec("hazard")
    today = date(2026, 11, 20)

    def parse(query: dict[str, str]) -> dict:
        return url_filters.parse("hazard", spec.fields, query, today=today, zone="UTC").filters

    both = parse({"f.overdue": "1", "f.state": "verifying,closed"})
    assert both == {"deadline": (None, date(2026, 11, 19)), "state": ["verifying"]}
    assert parse({"f.overdue": "1", "f.state": "closed"})["id"] == 0, "contradiction: no row"
    assert parse({"f.found_at": "2026-11-05"})["found_at"] == (
        datetime(2026, 11, 5, tzinfo=UTC),
        datetime(2026, 11, 5, 23, 59, 59, 999999, tzinfo=UTC),
    )
    assert parse({"f.deadline": "2026-11-30..2026-11-01"}) == {}, "a reversed range is ignored"


def test_the_supplies_preset_counts_what_the_cockpit_counts(open_page, ui_world) -> None:
    """Expired or below minimum stock, whatever status was stored when the row was saved
    (an item that expired since still reads "normal" there)."""
    org, today = ui_world[0], site_today()
    names = {
        "expired": (today - timedelta(days=1), 5, 1),
        "low": (None, 1, 3),
        "fine": (today + timedelta(days=30), 5, 1),
    }
    with session_scope() as session:
        n = serial()
        kind = EmergencySupplyCategory(code=f"SUP{n}", name=f"灭火器{n}", name_en=f"Ext{n}")
        session.add(kind)
        session.flush()
        for name, (expires, quantity, minimum) in names.items():
            session.add(
                EmergencySupply(
                    enterprise_id=org.ent1,
                    department_id=org.dept_a,
                    category_id=kind.id,
                    name=f"物资{name}{serial()}",
                    expires_on=expires,
                    quantity=quantity,
                    min_stock=minimum,
                    status=EmergencySupplyStatus.NORMAL,  # stale, as after a quiet night
                )
            )
    at = open_page(None)
    at.query_params.update({"f.attention": "1"})
    at.switch_page("pages/emergency_supply.py").run()
    assert not at.exception, at.exception
    grid = at.dataframe[0].value.to_string()
    assert "物资expired" in grid and "物资low" in grid and "物资fine" not in grid
    assert t("cockpit.filter.supplies_attention") in _text(at)
