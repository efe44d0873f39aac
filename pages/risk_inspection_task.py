"""Inspection tasks (检查任务)."""

from core.ui.crud_page import render_table_page

render_table_page("inspection_task")
