"""Inspection checklists (检查表)."""

from core.ui.crud_page import render_table_page

render_table_page("inspection_checklist")
