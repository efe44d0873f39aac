"""Hazard categories (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("hazard_category")
