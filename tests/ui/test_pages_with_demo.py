"""Every page renders with the scale-S demo data, for the admin and for an inspector.

The demo is the first-run database a newcomer sees; this is the closest AppTest gets to them.
Render times are printed (pytest -s), not asserted: see docs/benchmarks.md for measurements.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, utcnow
from core.ui.nav import all_pages, role_actor, visible_pages
from models.accounts import User
from tests.demo_cache import copy_demo
from tests.ui.conftest import APP, using_data_dir


@pytest.fixture(scope="module")
def demo_users(
    tmp_path_factory: pytest.TempPathFactory, run_root: Path
) -> Iterator[dict[str, int]]:
    with using_data_dir(copy_demo(run_root, tmp_path_factory.mktemp("demo_ui"))):
        with session_scope(get_engine()) as session:
            users = {u.username: u.id for u in session.exec(select(User))}
        yield users


def _render(user_id: int, page: str) -> tuple[AppTest, float]:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user_id"] = user_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = "zh-CN"
    at.run()
    start = time.perf_counter()
    at.switch_page(page)
    at.run()
    return at, time.perf_counter() - start


@pytest.mark.parametrize("page", [p.path for p in all_pages()])
def test_page_with_demo_data_for_admin(demo_users: dict[str, int], page: str) -> None:
    at, seconds = _render(demo_users["admin"], page)
    print(f"{page}: {seconds * 1000:.0f} ms")
    assert not at.exception, at.exception
    assert at.title


INSPECTOR_PAGES = [p.path for p in visible_pages(role_actor("inspector"))]


@pytest.mark.parametrize("page", INSPECTOR_PAGES)
def test_page_with_demo_data_for_inspector(demo_users: dict[str, int], page: str) -> None:
    at, _ = _render(demo_users["inspector"], page)
    assert not at.exception, at.exception
    assert not at.error or "无权限" not in at.error[0].value


def test_the_employee_home_lists_what_is_theirs(demo_users: dict[str, int]) -> None:
    """我的: the employee's exam records, training certificates and health exams, typed in by
    a manager, with counts and links to the list narrowed to them; and no error anywhere."""
    at, _ = _render(demo_users["employee"], "pages/home.py")
    assert not at.exception, at.exception
    assert "我的" in [h.value for h in at.subheader]
    links = [el.proto.label for el in at.get("page_link")]
    for table in ("考试记录", "培训合格证", "职业健康检查"):
        assert any(label.startswith(f"{table}：") for label in links), (table, links)
