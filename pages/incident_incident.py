"""Incidents (事故事件): the register, the report form (anonymous for near misses) and, under
each incident, its workflow steps."""

from core.ui.crud_page import render_table_page
from core.ui.incident.report_form import report_form

render_table_page("incident", create_form=report_form)
