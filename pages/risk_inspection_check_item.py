"""Inspection checklist items (检查项)."""

from core.ui.crud_page import render_table_page

render_table_page("inspection_check_item")
