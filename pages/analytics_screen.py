"""Large-screen mode (安全生产大屏): a dark, self-refreshing wall of KPIs and rotating panels."""

from core.ui.analytics.big_screen import render

render()
