"""monitoring_result (occupational health)."""

from core.ui.crud_page import render_table_page

render_table_page("monitoring_result")
