"""Duty tasks per person and period (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("duty_task")
