""" "Mine" in a real browser: the employee finds their exam results, certificates and the
current emergency plan although a manager typed them in; a maintenance technician finds the
workshop hazard assigned to him (another department) on his to-do list and rectifies it.

Screenshots go to artefacts/screenshots (mine_*.png).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, func, select

from core.config import Settings
from core.db import make_engine
from core.hazard.flow import act, report_hazard
from core.rbac import actor_for
from models.accounts import User
from models.emergency import EmergencyPlan, EmergencyPlanState
from models.org import Department

from .test_hazard_loop import _photo, _step
from .test_main_paths import TIMEOUT, _idle, _login, _open, _press

# Any element of a page link whose text is wider than its box: the label is cut.
CUT_LABELS = """() => [...document.querySelectorAll(
  '[data-testid=stMain] [data-testid=stPageLink] *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""


def _plans(data_dir: Path, username: str) -> tuple[int, int]:
    """(published, all) plans of the user's enterprise (the demo sets no narrower audience)."""
    engine = make_engine(Settings(data_dir=data_dir).db_url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            stmt = select(func.count()).where(
                EmergencyPlan.enterprise_id == user.enterprise_id,
                col(EmergencyPlan.deleted_at).is_(None),
            )
            published = stmt.where(EmergencyPlan.state == EmergencyPlanState.PUBLISHED)
            return session.exec(published).one(), session.exec(stmt).one()
    finally:
        engine.dispose()


def test_the_employee_sees_their_exam_results_certificates_and_the_current_plan(
    page: Page, app_url: str, app_data_dir: Path, artefacts_dir: Path
) -> None:
    _login(page, app_url, "employee")
    expect(page.get_by_role("heading", name="我的", exact=True)).to_be_visible(timeout=TIMEOUT)
    exams = page.get_by_role("link", name=re.compile(r"^考试记录：\d+ 条$"))
    expect(exams).to_be_visible(timeout=TIMEOUT)
    count = int(re.search(r"(\d+)", exams.inner_text()).group(1))
    assert count > 0
    expect(page.get_by_role("link", name=re.compile(r"^培训合格证：\d+ 条$"))).to_be_visible()
    page.screenshot(path=str(artefacts_dir / "mine_employee_home.png"), full_page=True)

    exams.click()
    expect(page.get_by_text("与我相关或指派给我")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text(f"共 {count} 条")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(artefacts_dir / "mine_employee_exam_records.png"), full_page=True)

    published, every = _plans(app_data_dir, "employee")
    assert 0 < published < every  # drafts and superseded plans exist, and stay hidden
    _open(
        page, "应急预案", via="应急管理"
    )  # the published plans, no draft: exactly the published count
    expect(page.get_by_text(f"共 {published} 条")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(artefacts_dir / "mine_employee_emergency_plans.png"), full_page=True)


def _assign_workshop_hazard(data_dir: Path) -> str:
    """A welding-workshop employee reports a hazard; the safety head assigns it to the
    maintenance inspector (机修车间): the common case of a hazard fixed by another department."""
    engine = make_engine(Settings(data_dir=data_dir).db_url)
    try:
        with Session(engine) as session:
            users = {u.username: u for u in session.exec(select(User)).all()}
            employee = actor_for(session, users["employee"])
            head = actor_for(session, users["safety_head"])
            technician = users["inspector"]
            hazard = report_hazard(
                session,
                employee,
                {"title": "焊接车间三号焊机接地线破损", "description": "接地线外皮破损，需更换"},
            )
            act(session, head, hazard.id, "confirm", payload={"owner_id": technician.person_id})
            session.commit()
            own = session.get(Department, technician.department_id).name
            theirs = session.get(Department, hazard.department_id).name
            assert own != theirs, (own, theirs)
            return hazard.number
    finally:
        engine.dispose()


def test_a_maintenance_technician_rectifies_the_workshop_hazard_assigned_to_him(
    page: Page, app_url: str, app_data_dir: Path, artefacts_dir: Path
) -> None:
    number = _assign_workshop_hazard(app_data_dir)
    _login(page, app_url, "inspector")
    link = page.get_by_role("link", name=re.compile(f"待整改隐患：{number}"))
    expect(link).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(artefacts_dir / "mine_technician_todo.png"), full_page=True)
    link.click()
    expect(page.get_by_text("流程记录")).to_be_visible(timeout=TIMEOUT)
    _idle(page)
    form = _step(page, "提交整改")
    form.get_by_label("整改措施 *").fill("更换接地线并复测接地电阻")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    expect(form.get_by_text("after.jpg")).to_be_visible(timeout=TIMEOUT)
    _press(page, form.get_by_role("button", name="提交整改"), "提交整改")
    expect(page.get_by_text("当前状态：待验收")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=str(artefacts_dir / "mine_technician_rectified.png"), full_page=True)


def test_the_employee_workbench_fits_a_phone(
    browser: Browser, app_url: str, artefacts_dir: Path
) -> None:
    """At 390 x 844 the home page shows the workbench as big buttons and every to-do line in
    full (a page link's label used to be cut with an ellipsis), with no sideways scrolling."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    _login(page, app_url, "employee")
    _idle(page)
    for label in ("随手拍", "我的培训考试", "我的作业票"):
        button = page.get_by_test_id("stMain").get_by_role("link", name=label, exact=True)
        expect(button).to_be_visible(timeout=TIMEOUT)
        assert button.bounding_box()["width"] > 300, label  # full width on a phone
    todo = page.get_by_role("link", name=re.compile("待整改隐患：")).first
    expect(todo).to_be_visible(timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(CUT_LABELS) == []
    page.screenshot(path=str(artefacts_dir / "mine_employee_phone_home.png"))
    context.close()
