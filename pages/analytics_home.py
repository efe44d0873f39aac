"""Analytics home: the trends, dashboards, reports and SQL console in one place."""

from core.ui.module_home import render_module_home

render_module_home("analytics", "page.analytics_home")
