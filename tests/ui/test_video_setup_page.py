"""The camera and zone set-up page: a camera's zones and rules are listed, a drawn polygon
(as the box/lasso selection leaves it) is saved as a zone, and a rule is attached to it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.db import session_scope
from core.reference import load_all
from models.video import Camera, VideoRule, VideoZone
from tests.factories import Org, Users


@pytest.fixture(scope="module")
def camera(ui_world: tuple[Org, Users]) -> int:
    org = ui_world[0]
    with session_scope() as session:
        load_all(session)
        row = Camera(
            enterprise_id=org.ent1,
            department_id=org.dept_a,
            name="机修间一号机位",
            source_uri="synthetic://production?seed=2",
            frame_width=640,
            frame_height=360,
        )
        session.add(row)
        session.flush()
        return row.id


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_page_renders(open_page, camera: int, lang: str) -> None:
    at = open_page("pages/video_setup.py", lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value in ("摄像头与区域配置", "Cameras & zones")
    assert not [m.value for m in at.markdown if "⟦" in m.value]


def test_a_drawn_zone_is_saved_and_a_rule_attached(open_page, camera: int) -> None:
    at = open_page(None)
    at.session_state[f"video_setup_draft_{camera}"] = [[10, 20], [300, 20], [300, 200], [10, 200]]
    at.switch_page("pages/video_setup.py")
    at.run()
    at.text_input(key=f"video_setup_zone_{camera}_name").input("吊装危险区")
    at.button(key=f"FormSubmitter:video_setup_zone_{camera}-保存区域").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        zone = session.exec(select(VideoZone).where(VideoZone.camera_id == camera)).one()
        assert zone.polygon == [[10, 20], [300, 20], [300, 200], [10, 200]]
        zone_id = zone.id
    at.run()
    at.button(key=f"FormSubmitter:video_setup_rule_{zone_id}-添加规则").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        rule = session.exec(select(VideoRule).where(VideoRule.zone_id == zone_id)).one()
        assert rule.kind == "ppe_missing" and rule.params == {"require": ["helmet"]}


def _zone(camera: int, name: str) -> int:
    with session_scope() as session:
        zone = VideoZone(
            camera_id=camera,
            name=name,
            kind="post",
            polygon=[[10, 20], [300, 20], [300, 200], [10, 200]],
        )
        session.add(zone)
        session.flush()
        return zone.id


def test_a_guardian_post_rule_takes_hours_as_text_and_refuses_bad_ones(
    open_page, camera: int
) -> None:
    zone_id = _zone(camera, "动火监护岗")
    at = open_page("pages/video_setup.py")
    key = f"video_setup_rule_{zone_id}"
    at.selectbox(key=f"{key}_kind").select("post_unstaffed").run()
    at.text_input(key=f"{key}_hours").input("8-25")
    at.button(key=f"FormSubmitter:{key}-添加规则").click().run()
    assert not at.exception, at.exception
    assert any("值守时段“8-25”无法识别" in e.value for e in at.error), [e.value for e in at.error]
    with session_scope() as session:
        assert not session.exec(select(VideoRule).where(VideoRule.zone_id == zone_id)).all()

    at.text_input(key=f"{key}_hours").input("8-17, 22:30-6")
    at.checkbox(key=f"{key}_while_permit").check()
    at.checkbox(key=f"{key}_suspend_permit").check()
    at.button(key=f"FormSubmitter:{key}-添加规则").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        rule = session.exec(select(VideoRule).where(VideoRule.zone_id == zone_id)).one()
    assert rule.kind == "post_unstaffed"
    assert rule.params["hours"] == [[8, 17], [22.5, 6]]
    assert rule.params["while_permit"] is True and rule.params["suspend_permit"] is True
    listed = " ".join(m.value for m in at.markdown)
    assert "值守时段 8-17, 22:30-6" in listed and "离岗即暂停作业票 ✓" in listed
