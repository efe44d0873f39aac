"""Dashboards: charts built without SQL or pinned from the SQL console, own or shared."""

from core.ui.analytics.dashboards import render

render()
