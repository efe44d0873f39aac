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
