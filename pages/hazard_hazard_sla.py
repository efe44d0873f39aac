"""Hazard rectification time limits by level (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("hazard_sla")
