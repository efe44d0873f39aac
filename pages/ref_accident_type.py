"""GB 6441 accident types (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("accident_type")
