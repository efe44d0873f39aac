"""factor_exposure (occupational health)."""

from core.ui.crud_page import render_table_page

render_table_page("factor_exposure")
