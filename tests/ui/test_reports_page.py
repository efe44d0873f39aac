"""The reports page with AppTest: each report's pickers drawn in both languages with no
untranslated key, Excel and PDF built and offered for download, the export audited."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from core.db import session_scope
from core.i18n import t
from models.system import AuditEntry
from tests.factories import Org, Users
from tests.ui.test_pages import _text

PAGE = "pages/analytics_reports.py"


def _clean(at) -> str:
    assert not at.exception, at.exception
    text = _text(at)
    assert "⟦" not in text, text
    return text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_report_renders_and_downloads(
    open_page, ui_world: tuple[Org, Users], lang: str
) -> None:
    at = open_page(PAGE, lang=lang)
    assert t("page.analytics_reports", lang) in _clean(at)
    for kind in ("dual_prevention", "accidents", "training"):
        at.session_state["rep_kind"] = kind  # set_value formats options in the default language
        at.run()
        _clean(at)
        at.button(key="rep_build_xlsx").click().run()
        at.button(key="rep_build_pdf").click().run()
        _clean(at)
        assert len(at.get("download_button")) == 2, kind
        assert any(re.search(r"\d+\.\d\d", c.value) for c in at.caption), "timing shown"


def test_export_is_audited(open_page, ui_world: tuple[Org, Users]) -> None:
    at = open_page(PAGE, as_user="park_supervisor")
    _clean(at)
    at.selectbox(key="rep_enterprise").set_value(ui_world[0].ent2).run()
    at.button(key="rep_build_pdf").click().run()
    _clean(at)
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None and entry.action == "export"
    assert entry.detail["report"] == "dual_prevention" and entry.detail["format"] == "pdf"
    assert entry.detail["enterprise_id"] == ui_world[0].ent2
