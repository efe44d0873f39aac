"""Risk points (风险点) with their LEC / LS scores."""

from core.ui.crud_page import render_table_page

render_table_page("risk_point")
