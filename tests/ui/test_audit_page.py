"""The audit page checks the chain and the sealed records, and names what was forged."""

from __future__ import annotations

from sqlalchemy import text

from core.db import session_scope
from core.i18n import t
from tests.ui.conftest import OpenPage


def _click(at, key: str):
    next(b for b in at.button if b.key == key).click().run()
    assert not at.exception, at.exception
    return at


def test_an_account_made_admin_in_sql_is_named_on_the_audit_page(open_page: OpenPage) -> None:
    at = _click(open_page("pages/sys_audit.py", lang="en"), "audit_verify_records")
    assert [s.value for s in at.success][-1] == t("audit.records_ok", "en")

    with session_scope() as session:  # behind the app's back, as an intruder with the file
        session.execute(text("UPDATE \"user\" SET scope = 'ALL' WHERE username = 'inspector_a'"))
    at = _click(open_page("pages/sys_audit.py", lang="en"), "audit_verify_records")
    assert t("audit.records_bad", "en", count=1) in [e.value for e in at.error]
    grid = at.dataframe[-1].value
    assert grid.to_dict("records") == [
        {
            "Table": t("table.user", "en"),
            "Row": grid["Row"][0],
            "Record": "inspector_a",
            "Finding": t("audit.finding.changed", "en"),
        }
    ]
