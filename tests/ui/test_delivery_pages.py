"""Reminders outside the app, in the app: a user sets their address and what reaches them on
the account page; the delivery log shows each delivery in the viewer's language, limited to
what the viewer may see, and filters by state."""

from __future__ import annotations

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import session_scope
from core.i18n import t
from core.notify import notify
from models.accounts import User
from models.notification import Delivery, DeliveryState, Notification
from tests.ui.conftest import REPO
from tests.ui.test_flows import _button


def test_account_page_saves_the_address_and_the_choices(open_page, ui_world) -> None:
    _, users = ui_world
    at = open_page("pages/account.py", as_user="inspector_b")
    assert not at.exception
    at.text_input(key="prefs_address").input("not an address")
    _button(at, t("delivery.prefs.save")).click().run()
    assert any("邮箱地址无效" in e.value for e in at.error)

    at.text_input(key="prefs_address").input("b.wang@example.com")
    at.radio(key="prefs_channel_email").set_value("all")
    at.radio(key="prefs_channel_webhook").set_value("none")
    _button(at, t("delivery.prefs.save")).click().run()

    assert not at.exception
    assert any(t("delivery.prefs.saved") in s.value for s in at.success)
    with session_scope() as session:
        user = session.get(User, users.inspector_b.user_id)
        assert user is not None and user.email == "b.wang@example.com"
        assert user.notify_prefs == {"email": "all", "webhook": "none"}
    assert at.radio(key="prefs_channel_webhook").value == "none"  # shown as saved


def test_account_page_speaks_english(open_page) -> None:
    at = open_page("pages/account.py", as_user="inspector_a", lang="en")
    assert not at.exception
    assert "Reminders by e-mail and webhook" in [h.value for h in at.subheader]
    assert at.radio(key="prefs_channel_email").options == [
        "Everything",
        "Important only",
        "Nothing",
    ]


def _delivered(user_id: int, enterprise_id: int | None, state: DeliveryState) -> None:
    with session_scope() as session:
        notify(
            session,
            [user_id],
            "notify.major_hazard",
            table_name="hazard",
            row_id=900 + user_id,
            params={"number": f"YH-{user_id}", "title": "配电箱门未关"},
            severity="error",
            enterprise_id=enterprise_id,
        )
        notice = session.exec(
            select(Notification).where(Notification.row_id == 900 + user_id)
        ).one()
        session.add(
            Delivery(
                notification_id=notice.id,
                user_id=user_id,
                channel="email",
                target=f"user{user_id}@example.com",
                state=state,
                attempts=4 if state == DeliveryState.FAILED else 1,
                last_error="HTTP 500 Internal Server Error"
                if state == DeliveryState.FAILED
                else None,
                enterprise_id=enterprise_id,
            )
        )


def test_delivery_log_is_scoped_translated_and_filtered(open_page, ui_world) -> None:
    org, users = ui_world
    _delivered(users.inspector_a.user_id, org.ent1, DeliveryState.FAILED)
    _delivered(users.park_supervisor.user_id, None, DeliveryState.SENT)

    admin = open_page("pages/sys_delivery.py", lang="en")
    assert not admin.exception
    assert admin.title[0].value == "Delivery log"
    grid = admin.dataframe[0].value
    assert len(grid) == 2
    assert "Major hazard: YH-" in grid["Message"].iloc[0]
    admin = open_page("pages/sys_delivery.py")
    admin.selectbox(key="delivery_state").set_value(DeliveryState.FAILED).run()
    failed = admin.dataframe[0].value
    assert list(failed["接收人"]) == ["inspector_a"]
    assert list(failed["最近错误"]) == ["HTTP 500 Internal Server Error"]

    head = open_page("pages/sys_delivery.py", as_user="safety_head")
    assert head.title[0].value == "通知投递记录"
    grid = head.dataframe[0].value
    assert list(grid["接收人"]) == ["inspector_a"], "another enterprise's delivery leaked"
    assert "重大隐患" in grid["消息内容"].iloc[0]
    assert list(grid["状态"]) == ["发送失败"]
    _button(head, t("delivery.retry")).click().run()  # no mail server here: it waits
    assert not head.exception
    assert any(t("delivery.retried", sent=0, failed=0) in s.value for s in head.success)


def test_delivery_log_refuses_an_employee(ui_world) -> None:
    at = AppTest.from_file(str(REPO / "pages/sys_delivery.py"), default_timeout=30)
    at.session_state["user_id"] = ui_world[1].employee_a.user_id
    at.session_state["lang"] = "zh-CN"
    at.run()
    assert not at.exception
    assert at.error and "无权限" in at.error[0].value
