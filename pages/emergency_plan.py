"""emergency_plan (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("emergency_plan")
