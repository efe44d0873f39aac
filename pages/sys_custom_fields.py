"""Admin-defined fields on any table (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("custom_field")
