"""occupational_factor (occupational health)."""

from core.ui.crud_page import render_table_page

render_table_page("occupational_factor")
