"""Every page reads in the user's language: no Chinese in the English interface, and in the
Chinese one no "None", raw JSON or catalogue key where a person reads text.

The world is small and its data is ASCII (so any Chinese on an English page is interface or
reference text, which must be English); the reference tables are loaded so their English
names are exercised. The page list comes from the navigation at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db import get_engine, session_scope, utcnow
from core.i18n import catalogue
from core.migrate import upgrade
from core.rbac import seed_permissions
from core.reference import load_all
from core.ui.nav import all_pages
from models.enums import Role
from tests.factories import department, enterprise, park, person, post, user
from tests.ui.conftest import APP, using_data_dir

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# proto string fields that carry no visible text (ids, data, urls, formats)
SKIPPED = {
    "id",
    "form_id",
    "data",
    "spec",
    "json",
    "url",
    "src",
    "icon",
    "theme",
    "format",
    "page_script_hash",
    "page",
    "key",
    "type",
    "default",
    "value",
    "set_value",
    "arrow_data",
    "styler",
    "columns",
    "selection_mode",
    "width",
    "height",
}


@pytest.fixture(scope="module")
def english_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A migrated database with reference data, one ASCII-named enterprise and the admin
    (display name apart from the user name); yields the admin's user id."""
    path: Path = tmp_path_factory.mktemp("language")
    with using_data_dir(path):
        settings = get_settings()
        upgrade(settings)
        with session_scope(get_engine(settings)) as session:
            seed_permissions(session)
            load_all(session)
            p = park(session, name="North Park", region="Suzhou")
            e = enterprise(session, p.id, name="Acme Machinery", industry="machinery")
            d = department(session, e.id, "Repair Shop", kind="workshop")
            w = post(session, e.id, d.id, name="Welder", special_operation=True)
            person(session, e.id, d.id, name="Li Lei", post_id=w.id, hired_on=date(2020, 3, 1))
            admin = user(session, settings, "admin", Role.ADMIN)
            admin.display_name = "Ada Admin"
            session.add(admin)
            session.flush()
            admin_id = admin.id
        yield admin_id


def _repeated(value: Any) -> bool:
    """A proto's repeated field (strings or messages), not one string or message."""
    return (
        not isinstance(value, str | bytes)
        and not hasattr(value, "ListFields")
        and (hasattr(value, "__len__"))
    )


def _strings(message: Any) -> Iterator[str]:
    """The visible strings of one element's proto (labels, bodies, options, captions...)."""
    for field, value in message.ListFields():
        if field.name in SKIPPED:
            continue
        items = value if _repeated(value) else [value]
        for item in items:
            if isinstance(item, str):
                yield item
            elif hasattr(item, "ListFields"):
                yield from _strings(item)


def _plotly_texts(spec: str) -> Iterator[str]:
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            title = axis.get("title") or {}
            yield title.get("text", "") if isinstance(title, dict) else str(title)
    title = layout.get("title") or {}
    yield title.get("text", "") if isinstance(title, dict) else str(title)
    for trace in figure.get("data", []):  # legend entries
        if trace.get("name"):
            yield str(trace["name"])


def _texts(node: Any) -> Iterator[tuple[str, str]]:
    """(kind, text) of everything a reader sees, walking the element tree."""
    kind = getattr(node, "type", "")
    proto = getattr(node, "proto", None)
    if kind in ("dataframe", "arrow_data_frame", "table"):
        frame = node.value
        for column in frame.columns:
            yield "column", str(column)
        for cell in frame.astype(str).to_numpy().ravel():
            yield "cell", cell
    elif kind == "plotly_chart" and proto is not None:
        for text in _plotly_texts(proto.spec):
            yield "chart", text
    elif kind == "deck_gl_json_chart":
        return  # a map's layers and tooltip template, not text
    elif proto is not None and hasattr(proto, "ListFields"):
        for text in _strings(proto):
            yield kind, text
    for child in getattr(node, "children", {}).values():
        yield from _texts(child)


def _render(admin_id: int, lang: str, page: str) -> AppTest:
    """A fresh app on ``page`` (a fresh one: AppTest replays the last page's widget states
    through their format functions outside the script, where the language is unknown)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user_id"] = admin_id
    at.session_state["last_seen"] = utcnow()
    at.session_state["lang"] = lang
    at.switch_page(page)
    at.run()
    return at


PAGES = [p.path for p in all_pages()]


def test_english_pages_show_no_chinese(english_world: int) -> None:
    leaks = []
    for page in PAGES:
        at = _render(english_world, "en", page)
        assert not at.exception, (page, at.exception)
        assert at.title, f"{page} did not render (no title)"
        leaks += [
            f"{page} [{kind}] {text[:80]!r}"
            for kind, text in _texts(at._tree)
            if kind != "cell" and CJK.search(text)
        ]
    assert not leaks, "Chinese in the English interface:\n" + "\n".join(sorted(set(leaks)))


def _bad_chinese_text(kind: str, text: str, keys: set[str]) -> str | None:
    shown = str(text).strip()
    if shown == "None" or (kind != "cell" and shown in ("nan", "NaT", "<NA>")):
        # a grid's missing *number* (nan) also shows as a faded "None": the generic lists keep
        # numbers typed so they sort (see the report in docs/i18n.md); text cells must be blank
        return "None"
    if shown.startswith(('{"', '["')):
        return "raw JSON"
    if KEY.match(shown) and shown in keys:
        return "catalogue key"
    return None


def test_chinese_pages_show_no_none_json_or_keys(english_world: int) -> None:
    keys, leaks = set(catalogue("zh-CN")), []
    for page in PAGES:
        at = _render(english_world, "zh-CN", page)
        assert not at.exception, (page, at.exception)
        for kind, text in _texts(at._tree):
            if problem := _bad_chinese_text(kind, text, keys):
                leaks.append(f"{page} [{kind}] {problem}: {str(text)[:80]!r}")
    assert not leaks, "Untranslated text in the Chinese interface:\n" + "\n".join(
        sorted(set(leaks))
    )
