"""Where a person acted, the screens name the person (display name), not the account: the
workflow history under a record and the audit log's "who" column."""

from __future__ import annotations

from core.db import session_scope
from core.i18n import t
from core.incident.flow import report_near_miss
from models.accounts import User


def test_history_and_audit_log_show_display_names(open_page, ui_world) -> None:
    _, users = ui_world
    with session_scope() as session:
        account = session.get(User, users.employee_a.user_id)
        account.display_name = "Emma Employee"
        values = {"title": "Ladder without feet", "occurred_at": "2026-03-09T08:00:00+00:00"}
        incident_id = report_near_miss(session, users.employee_a, values, anonymous=False).id
    at = open_page(None)
    at.query_params["id"] = str(incident_id)
    at.switch_page("pages/incident_incident.py").run()
    assert not at.exception, at.exception
    column = t("workflow.col.actor")
    history = next(df.value for df in at.dataframe if column in df.value.columns)
    assert history[column].tolist() == ["Emma Employee"]

    at = open_page("pages/sys_audit.py")
    assert not at.exception, at.exception
    who = at.dataframe[0].value[t("audit.actor")].tolist()
    assert "Emma Employee" in who and "employee_a" not in who
    assert t("audit.system_actor") in who  # the organisation was built by the system
