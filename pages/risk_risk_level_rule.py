"""Risk level score bands (reference data)."""

from core.ui.crud_page import render_table_page

render_table_page("risk_level_rule")
