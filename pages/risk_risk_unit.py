"""Risk units (风险单元)."""

from core.ui.crud_page import render_table_page

render_table_page("risk_unit")
