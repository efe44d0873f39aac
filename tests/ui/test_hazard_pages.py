"""The hazard loop in the app: a worker's quick report, the safety head's confirm step from the
register, an illegal step refused with a message, and the to-do list linking to the hazard."""

from __future__ import annotations

from sqlmodel import select

from core.db import session_scope
from core.hazard.flow import act, report_hazard
from core.i18n import t
from models.hazard import Hazard, HazardState
from tests.ui.test_flows import _button


def _report(ui_world, **values) -> Hazard:
    org, users = ui_world
    with session_scope() as session:
        h = report_hazard(
            session,
            users.inspector_a,
            {
                "title": "消防通道堵塞",
                "enterprise_id": org.ent1,
                "department_id": org.dept_a,
                **values,
            },
        )
        session.expunge(h)
    return h


def test_quick_report_needs_only_a_description(open_page, ui_world) -> None:
    at = open_page("pages/hazard_report.py", as_user="employee_a")
    assert not at.exception
    assert at.title[0].value == t("hazard_report.title")
    at.text_area(key="hazard_quick_desc").input("二号行车下方堆放杂物，通道不畅")
    _button(at, t("hazard_report.submit")).click().run()
    assert not at.exception
    with session_scope() as session:
        h = session.exec(
            select(Hazard).where(Hazard.title == "二号行车下方堆放杂物，通道不畅")
        ).one()
        assert h.state == HazardState.REPORTED and h.source == "quick_report"
    assert any(h.number in s.value for s in at.success)
    assert at.text_area(key="hazard_quick_desc").value in ("", None), "ready for the next one"


def test_quick_report_links_to_that_reports_progress(open_page, ui_world) -> None:
    """After a phone report, "view progress" opens that record's progress at the top of the
    quick-report page (not the whole ledger with the record far below), in both languages."""
    at = open_page("pages/hazard_report.py", as_user="employee_a")
    at.text_area(key="hazard_quick_desc").input("三号泵房地面油污，易滑倒")
    _button(at, t("hazard_report.submit")).click().run()
    with session_scope() as session:
        h = session.exec(select(Hazard).where(Hazard.title == "三号泵房地面油污，易滑倒")).one()
    link = next(
        e.proto
        for e in at.get("page_link")
        if e.proto.label == t("hazard_report.view", number=h.number)
    )
    assert link.page.endswith("hazard_report") and link.query_string == f"id={h.id}"
    for lang in ("zh-CN", "en"):
        view = open_page("pages/hazard_report.py", as_user="employee_a", lang=lang)
        view.query_params["id"] = str(h.id)
        view.run()
        assert not view.exception
        assert view.subheader[0].value == t("hazard_progress.title", lang, number=h.number)
        shown = " ".join(m.value for m in view.markdown)
        assert t("enum.HazardState.reported", lang) in shown and h.title in shown
        assert t("workflow.action.report", lang) in shown, "the steps so far"
        assert not [f for f in view.get("form")], "the progress replaces the report form"
    other = open_page("pages/hazard_report.py", as_user="inspector_b")
    other.query_params["id"] = str(h.id)
    other.run()
    assert not other.exception and not other.subheader, "another department's report stays hidden"


def test_quick_report_without_description_says_so(open_page) -> None:
    at = open_page("pages/hazard_report.py", as_user="employee_a")
    _button(at, t("hazard_report.submit")).click().run()
    assert not at.exception
    assert any(t("hazard_report.need_description") in m.value for m in at.markdown)


def test_safety_head_confirms_from_the_register(open_page, ui_world) -> None:
    org, _ = ui_world
    h = _report(ui_world)
    at = open_page(None, as_user="safety_head")
    at.query_params["id"] = str(h.id)
    at.switch_page("pages/hazard_hazard.py").run()
    assert not at.exception
    tabs = [tab.label for tab in at.tabs]
    assert t("workflow.action.confirm") in tabs and t("workflow.action.reject") in tabs
    key = f"wf_hazard_{h.id}_confirm"
    at.selectbox(key=f"{key}_owner_id").set_value(org.person_a)
    _button(at, t("workflow.action.confirm")).click().run()
    assert not at.exception
    with session_scope() as session:
        row = session.get(Hazard, h.id)
        assert row.state == HazardState.CONFIRMED and row.owner_id == org.person_a


def test_reject_without_reason_is_refused_on_the_page(open_page, ui_world) -> None:
    h = _report(ui_world)
    at = open_page(None, as_user="safety_head")
    at.query_params["id"] = str(h.id)
    at.switch_page("pages/hazard_hazard.py").run()
    _button(at, t("workflow.action.reject")).click().run()
    assert not at.exception
    assert any(t("workflow.comment_required") in m.value for m in at.markdown)
    with session_scope() as session:
        assert session.get(Hazard, h.id).state == HazardState.REPORTED


def test_owner_sees_the_hazard_in_the_todo_list_and_only_owner_steps(open_page, ui_world) -> None:
    org, users = ui_world
    h = _report(ui_world, title="砂轮机防护罩缺失")
    with session_scope() as session:
        act(session, users.safety_head, h.id, "confirm", payload={"owner_id": org.person_a})
    home = open_page(None, as_user="employee_a")
    links = [p.proto.label for p in home.get("page_link")]
    assert any(h.number in label and "砂轮机防护罩缺失" in label for label in links)
    at = open_page(None, as_user="employee_a")
    at.query_params["id"] = str(h.id)
    at.switch_page("pages/hazard_hazard.py").run()
    assert not at.exception
    steps = {t(f"workflow.action.{a}") for a in ("confirm", "reject", "verify_pass", "void")}
    labels = [tab.label for tab in at.tabs]
    assert t("workflow.action.rectify") in labels
    assert t("workflow.action.request_extension") in labels
    assert not steps & set(labels)
