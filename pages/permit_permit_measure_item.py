"""permit_measure_item list, detail, import and export (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("permit_measure_item")
