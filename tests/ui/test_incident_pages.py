"""The incident page as its users meet it: a worker reports a near miss anonymously from the
"new" tab and is thanked without being named; the safety head finds the report, reads
"anonymous" in its history, starts the investigation from its steps, and cannot close it;
the owner of a corrective action completes it from its page."""

from __future__ import annotations

from sqlmodel import select

from core.crud import service
from core.crud.registry import get_spec
from core.db import session_scope
from core.i18n import t
from core.incident.flow import ANONYMOUS, act, report_near_miss
from core.workflow import events
from models.incident import Incident, IncidentState
from models.incident_action import CorrectiveAction, CorrectiveActionState
from tests.ui.test_flows import _button

KEY = "incident_new"


def _tab(at, label: str):
    return next(tab for tab in at.tabs if tab.label == label)


def test_a_worker_reports_a_near_miss_anonymously(open_page) -> None:
    at = open_page("pages/incident_incident.py", as_user="employee_a")
    assert not at.exception
    assert t("crud.tab_new") in [tab.label for tab in at.tabs]
    at.text_input(key=f"{KEY}_title").input("行车吊物下方有人穿行")
    at.text_input(key=f"{KEY}_occurred_at").input("2026-03-07 10:30")
    at.checkbox(key=f"{KEY}_anonymous").check()
    _button(at, t("common.save")).click().run()
    assert not at.exception
    with session_scope() as session:
        row = session.exec(select(Incident).where(Incident.title == "行车吊物下方有人穿行")).one()
        assert row.anonymous and row.created_by is None and row.kind == "near_miss"
        number = row.number
    assert any(t("incident.reported_anonymously", number=number) in s.value for s in at.success)


def test_the_safety_head_investigates_and_reads_anonymous(open_page, ui_world) -> None:
    _, users = ui_world
    with session_scope() as session:
        values = {"title": "配电箱门未关带电部位外露", "occurred_at": "2026-03-08T08:00:00+00:00"}
        incident = report_near_miss(session, users.employee_a, values, anonymous=True)
        incident_id = incident.id
    at = open_page(None, as_user="safety_head")
    at.query_params["id"] = str(incident_id)
    at.switch_page("pages/incident_incident.py").run()
    assert not at.exception
    labels = [tab.label for tab in at.tabs]
    assert t("workflow.action.investigate") in labels
    assert t("workflow.action.close") not in labels
    history = next(df.value for df in at.dataframe if t("workflow.col.actor") in df.value.columns)
    assert history[t("workflow.col.actor")].tolist() == [ANONYMOUS]
    _button(at, t("workflow.action.investigate")).click().run()
    assert not at.exception
    with session_scope() as session:
        assert session.get(Incident, incident_id).state == IncidentState.INVESTIGATING
        assert [e.action for e in events(session, "incident", incident_id)] == [
            "report",
            "investigate",
        ]


def test_the_owner_completes_a_corrective_action_on_its_page(open_page, ui_world) -> None:
    org, users = ui_world
    with session_scope() as session:
        values = {"title": "冲床夹伤手指", "kind": "minor", "minor_injuries": 1}
        values["occurred_at"] = "2026-03-09T08:00:00+00:00"
        incident = report_near_miss(session, users.safety_head, values)
        for step in ("investigate", "propose_actions"):
            act(session, users.safety_head, "incident", incident.id, step)
        action = service.create_row(
            session,
            get_spec("corrective_action"),
            users.safety_head,
            {"content": "加装冲床双手按钮", "incident_id": incident.id, "owner_id": org.person_a},
        )
        action_id = action.id
    at = open_page(None, as_user="employee_a")
    at.query_params["id"] = str(action_id)
    at.switch_page("pages/incident_corrective_action.py").run()
    assert not at.exception
    labels = [tab.label for tab in at.tabs]
    assert (
        t("workflow.action.corrective_action.complete") in labels
        and t("workflow.action.verify") not in labels
    )
    key = f"wf_corrective_action_{action_id}_complete"
    at.text_area(key=f"{key}_completion").input("两台冲床已加装双手按钮")
    _button(at, t("workflow.action.corrective_action.complete")).click().run()
    assert not at.exception
    with session_scope() as session:
        row = session.get(CorrectiveAction, action_id)
        assert row.state == CorrectiveActionState.VERIFYING
        assert row.completed_by == users.employee_a.user_id
