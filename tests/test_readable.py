"""Stored dicts and lists read as text in the reader's language, never as JSON."""

from __future__ import annotations

import pandas as pd
import plotly.express as px

from core.i18n import readable, t
from core.ui.plot import chart_config, localise


def test_a_dict_reads_as_labelled_pairs_in_each_language() -> None:
    detail = {"file": "a.json", "rows": 4, "refused": True, "truncated": False}
    assert readable(detail, "en") == "File: a.json; Rows: 4; Refused: Yes; Truncated: No"
    assert readable(detail, "zh-CN") == "文件：a.json；行数：4；已拒绝：是；已截断：否"


def test_codes_and_catalogue_keys_are_translated() -> None:
    assert readable(["combustible", "oxygen"], "en") == (
        f"{t('enum.PermitGas.combustible', 'en')}, {t('enum.PermitGas.oxygen', 'en')}"
    )
    assert readable({"reason": "sql_console.refused.module"}, "zh-CN") == (
        f"{t('detail.reason', 'zh-CN')}：{t('sql_console.refused.module', 'zh-CN')}"
    )
    # a user name is not a role, though "admin" is both; a role is
    assert readable({"username": "admin"}, "zh-CN") == f"{t('detail.username', 'zh-CN')}：admin"
    assert readable({"role": "admin"}, "zh-CN").endswith(t("enum.Role.admin", "zh-CN"))
    # a refusal's text with blanks it cannot fill shows no braces
    assert "{" not in readable("sql_console.refused.not_select", "en")


def test_labels_nesting_and_empty_values() -> None:
    assert readable({"status": "x", "note": None}, "en", {"status": "State"}) == "State: x"
    rule = {"require": {"default": ["helmet"]}}
    assert readable(rule, "en") == (
        f"{t('video_setup.param.require', 'en')}: (Default: {t('enum.DetectionRole.helmet', 'en')})"
    )
    assert readable(None, "en") == "" and readable([], "en") == ""
    assert not readable({"a": [1, 2]}, "en").startswith(("{", "["))


def test_chinese_charts_carry_their_locale_and_date_formats() -> None:
    frame = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]), "n": [1, 2]})
    chinese = localise(px.line(frame, x="month", y="n"), "zh-CN")
    stops = {s.value for s in chinese.layout.xaxis.tickformatstops}
    assert "%Y-%m" in stops and chinese.layout.xaxis.hoverformat == "%Y-%m-%d"
    assert not chinese.layout.yaxis.tickformatstops  # numbers keep their own format
    config = chart_config("zh-CN")
    assert config["locale"] == "zh-CN"
    assert config["locales"]["zh-CN"]["format"]["shortMonths"][0] == "1月"
    english = localise(px.line(frame, x="month", y="n"), "en")
    assert not english.layout.xaxis.tickformatstops and "locale" not in chart_config("en")
    text_months = pd.DataFrame({"month": ["2024-01", "2024-02"], "n": [1, 2]})
    assert localise(px.bar(text_months, x="month", y="n"), "zh-CN").layout.xaxis.tickformatstops
