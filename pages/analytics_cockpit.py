"""Safety cockpit (安全驾驶舱): KPI tiles with their change against the previous period."""

from core.ui.analytics.cockpit import render

render()
