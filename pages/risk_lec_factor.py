"""LEC factor values (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("lec_factor")
