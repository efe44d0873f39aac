"""LS matrix likelihood and severity steps (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("ls_factor")
