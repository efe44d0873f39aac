"""health_exam (occupational health)."""

from core.ui.crud_page import render_table_page

render_table_page("health_exam")
