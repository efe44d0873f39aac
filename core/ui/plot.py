"""Plotly charts in the reader's language, offline.

Plotly's own locale files are not in Streamlit's bundle (only ``en-US`` is registered), but
Plotly reads a locale handed in the chart's ``config`` (``locales``), so the Chinese month and
day names and the toolbar's tooltips travel with every chart. Date axes in Chinese also get
explicit ``%Y-%m``-style tick and hover formats, so no English month name shows whatever the
zoom.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.ui.context import lang

_MONTHS = [f"{n}月" for n in range(1, 13)]
_ZH = {
    "format": {
        "days": ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
        "shortDays": ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
        "months": _MONTHS,
        "shortMonths": _MONTHS,
        "periods": ["上午", "下午"],
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "dateTime": "%Y-%m-%d %H:%M:%S",
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": ["¥", ""],
        "year": "%Y",
        "month": "%Y-%m",
        "dayMonth": "%m-%d",
        "dayMonthYear": "%Y-%m-%d",
    },
    "dictionary": {
        "Autoscale": "自动缩放",
        "Box Select": "框选",
        "Compare data on hover": "悬停时比较数据",
        "Double-click to zoom back out": "双击恢复",
        "Download plot": "下载图表",
        "Download plot as a png": "下载为 PNG 图片",
        "Lasso Select": "套索选择",
        "Orbital rotation": "轨道旋转",
        "Pan": "平移",
        "Produced with Plotly.js": "由 Plotly.js 生成",
        "Reset": "重置",
        "Reset axes": "重置坐标轴",
        "Reset view": "重置视图",
        "Reset views": "重置视图",
        "Show closest data on hover": "悬停时显示最近的数据",
        "Snapshot succeeded": "截图成功",
        "Taking snapshot - this may take a few seconds": "正在截图，请稍候",
        "Toggle Spike Lines": "切换辅助线",
        "Toggle show closest data on hover": "切换悬停显示最近数据",
        "Zoom": "缩放",
        "Zoom in": "放大",
        "Zoom out": "缩小",
        "close:": "收盘：",
        "high:": "最高：",
        "low:": "最低：",
        "open:": "开盘：",
        "trace": "序列",
        "lat:": "纬度：",
        "lon:": "经度：",
        "q1:": "第一四分位：",
        "q3:": "第三四分位：",
        "median:": "中位数：",
        "min:": "最小值：",
        "max:": "最大值：",
        "mean:": "平均值：",
        "kde:": "核密度：",
        "new text": "新文本",
    },
}
#: date tick formats by zoom (dtick in ms): hours, days, weeks, months, years
_ZH_DATE_TICKS = [
    {"dtickrange": [None, 86_400_000], "value": "%m-%d %H:%M"},
    {"dtickrange": [86_400_000, 604_800_000], "value": "%m-%d"},
    {"dtickrange": [604_800_000, "M1"], "value": "%Y-%m-%d"},
    {"dtickrange": ["M1", "M12"], "value": "%Y-%m"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
_ISO = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]\d{2}:\d{2}(:\d{2})?)?$")
BASE_CONFIG: dict[str, Any] = {"displaylogo": False}


def chart_config(code: str, **extra: Any) -> dict[str, Any]:
    """Plotly's config for a chart read in ``code``: the locale rides along with it."""
    config = {**BASE_CONFIG, **extra}
    if code == "zh-CN":
        config |= {"locale": "zh-CN", "locales": {"zh-CN": _ZH}}
    return config


def _is_dates(values: Any) -> bool:
    if values is None:
        return False
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return True
    if array.dtype.kind != "O" or array.size == 0:
        return False
    first = next((v for v in array.ravel() if v is not None), None)
    if isinstance(first, str):  # Plotly reads ISO texts as dates too
        return bool(_ISO.match(first))
    return isinstance(first, date) or type(first).__name__ == "Timestamp"


def localise(fig: go.Figure, code: str) -> go.Figure:
    """``fig`` with its date axes formatted for ``code`` (Chinese: 2024-01, never "Jan")."""
    if code != "zh-CN":
        return fig
    axes: set[str] = set()
    for trace in fig.data:
        for letter in ("x", "y"):
            if _is_dates(getattr(trace, letter, None)):
                ref = getattr(trace, f"{letter}axis", None) or letter
                axes.add(ref.replace(letter, f"{letter}axis", 1))
    for axis in axes:
        if fig.layout[axis] is None:
            continue
        if not fig.layout[axis].tickformat:
            fig.layout[axis].tickformatstops = _ZH_DATE_TICKS
        if not fig.layout[axis].hoverformat:
            fig.layout[axis].hoverformat = "%Y-%m-%d"
    return fig


def show_chart(fig: go.Figure, **kwargs: Any) -> Any:
    """``st.plotly_chart`` in the page's language (date axes, month names, toolbar)."""
    code = lang()
    config = chart_config(code, **kwargs.pop("config", {}))
    return st.plotly_chart(localise(fig, code), config=config, **kwargs)
