"""Inspection plans (检查计划)."""

from core.ui.crud_page import render_table_page

render_table_page("inspection_plan")
