"""The contractor pages: a record under review offers its steps, admitting one without a
qualification is refused with the reason on the page, a violation offers "notify", and a
contractor worker with an account sees only their own worker record."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.contractor.flow import ADMISSION_FLOW
from core.db import session_scope, utcnow
from core.i18n import t
from core.workflow import fire
from models.contractor import Contractor, ContractorState
from models.enums import Role
from tests import factories
from tests.ui.conftest import APP
from tests.ui.test_flows import _button


def _reviewing(ui_world, name: str) -> int:
    org, users = ui_world
    with session_scope() as session:
        c = factories.make(
            session,
            "contractor",
            users.safety_head,
            name=name,
            credit_code=f"91310115MB{factories.serial():08d}",
            enterprise_id=org.ent1,
        )
        fire(session, ADMISSION_FLOW, c.id, "send_for_review", users.safety_head)
        return c.id


def _open_record(open_page, page: str, row_id: int, as_user: str = "safety_head") -> AppTest:
    at = open_page(None, as_user=as_user)
    at.query_params["id"] = str(row_id)
    at.switch_page(page).run()
    assert not at.exception
    return at


def test_admitting_without_a_qualification_is_refused_on_the_page(open_page, ui_world) -> None:
    row_id = _reviewing(ui_world, "上海恒通设备维修服务有限公司")
    at = _open_record(open_page, "pages/contractor_contractor.py", row_id)
    tabs = [tab.label for tab in at.tabs]
    for action in ("admit", "reject", "blacklist"):
        assert t(f"workflow.action.{action}") in tabs
    assert t("workflow.action.suspend") not in tabs
    _button(at, t("workflow.action.admit")).click().run()
    assert not at.exception
    assert any("没有任何资质证件" in e.value for e in at.error)
    with session_scope() as session:
        assert session.get(Contractor, row_id).state == ContractorState.REVIEWING


def test_a_recorded_violation_offers_notify(open_page, ui_world) -> None:
    _, users = ui_world
    contractor_id = _reviewing(ui_world, "上海宏达物流运输有限公司")
    with session_scope() as session:
        v = factories.make(
            session,
            "contractor_violation",
            users.safety_head,
            contractor_id=contractor_id,
            occurred_on=utcnow().date(),
            description="作业现场吸烟",
        )
        row_id = v.id
    at = _open_record(open_page, "pages/contractor_violation.py", row_id)
    labels = [tab.label for tab in at.tabs]
    assert t("workflow.action.notify") in labels
    assert t("workflow.action.close") not in labels


def test_a_contractor_worker_sees_only_their_own_record(open_page, ui_world) -> None:
    org, users = ui_world
    contractor_id = _reviewing(ui_world, "上海鼎泰建筑工程有限公司")
    with session_scope() as session:
        me = factories.person(session, org.ent1, None, name="钱进")
        other = factories.person(session, org.ent1, None, name="孙立")
        for person, name in ((me, "钱进"), (other, "孙立")):
            factories.make(
                session,
                "contractor_worker",
                users.safety_head,
                contractor_id=contractor_id,
                name=name,
                person_id=person.id,
            )
        account = factories.user(
            session,
            get_settings(),
            "qianjin",
            Role.CONTRACTOR,
            park_id=org.park,
            enterprise_id=org.ent1,
            person_id=me.id,
        )
        user_id = account.id
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = "zh-CN"
    at.run()
    at.switch_page("pages/contractor_worker.py").run()
    assert not at.exception
    grid = at.dataframe[0].value.to_string()
    assert "钱进" in grid and "孙立" not in grid
