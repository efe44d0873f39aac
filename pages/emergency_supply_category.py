"""emergency_supply_category (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("emergency_supply_category")
