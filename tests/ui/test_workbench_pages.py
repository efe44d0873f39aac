"""The workbench's "my …" pages on a phone-sized list: an employee sees their own permits,
certificates and messages (never a colleague's), each opening the full record; an empty list
says what to do; an account without a person gets a plain sentence, not a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from core import reference
from core.crud.registry import get_spec
from core.crud.service import create_row
from core.db import session_scope
from core.i18n import t
from core.notify import notify
from core.rbac import SYSTEM
from models.permit_reference import PermitType

MINE, THEIRS = "焊接车间东侧管廊", "机修车间西侧平台"


@pytest.fixture(scope="module")
def records(ui_world):
    """A permit applied for by person A and one by person B; a message to each account."""
    org, users = ui_world
    with session_scope() as session:
        reference.load_all(session)
        hot = session.exec(select(PermitType).where(PermitType.code == "DH")).one()
        start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
        for person, place in ((org.person_a, MINE), (org.person_b, THEIRS)):
            values = {
                "permit_type_id": hot.id,
                "location": place,
                "planned_start": start.isoformat(),
                "planned_end": (start + timedelta(hours=8)).isoformat(),
                "content": "管线焊接",
                "applicant_id": person,
                "enterprise_id": org.ent1,
            }
            create_row(session, get_spec("permit"), SYSTEM, values)
        for user, number in ((users.employee_a, "YH-MINE-1"), (users.inspector_a, "YH-THEIRS-1")):
            params = {"number": number, "title": "测试"}
            notify(session, [user.user_id], "notify.incident_reported", params=params)
    return org, users


def _text(at) -> str:
    return " ".join(e.value for e in [*at.markdown, *at.info, *at.subheader, *at.caption])


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_my_permits_lists_only_mine_with_a_link(open_page, records, lang: str) -> None:
    at = open_page("pages/my_permits.py", as_user="employee_a", lang=lang)
    assert not at.exception
    assert at.title[0].value == t("page.my_permits", lang)
    shown = _text(at)
    assert MINE in shown and THEIRS not in shown
    assert t("enum.PermitTypeCode.DH", lang) in shown or "动火" in shown
    links = [e.proto for e in at.get("page_link") if e.proto.label == t("workbench.open", lang)]
    assert links and all(link.query_string.startswith("id=") for link in links)
    months = [t(f"workbench.month.{m}", lang) for m in range(1, 13)]
    assert any(m in shown for m in months), "dates in the user's language"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_my_certificates_shows_my_certificate_not_a_colleagues(
    open_page, records, lang: str
) -> None:
    at = open_page("pages/my_certificates.py", as_user="employee_a", lang=lang)
    assert not at.exception
    shown = _text(at)
    assert "焊接与热切割作业" in shown and "熔化焊接" not in shown
    assert t("my_certs.valid", lang) in shown
    assert t("my_certs.training_empty", lang) in shown, "an empty list says what to do"


def test_my_training_empty_state_and_my_messages(open_page, records) -> None:
    at = open_page("pages/my_training.py", as_user="employee_a")
    assert not at.exception
    assert t("my_training.exams_empty") in _text(at)
    at = open_page("pages/my_messages.py", as_user="employee_a", lang="en")
    assert not at.exception
    shown = _text(at)
    assert "YH-MINE-1" in shown and "YH-THEIRS-1" not in shown
    assert t("my_messages.unread", "en") in shown


def test_an_account_without_a_person_gets_a_sentence(open_page, records) -> None:
    for page in ("pages/my_permits.py", "pages/my_certificates.py", "pages/my_training.py"):
        at = open_page(page, as_user="admin")
        assert not at.exception
        assert [i.value for i in at.info] == [t("workbench.no_person")], page
