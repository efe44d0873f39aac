"""Identification records (风险辨识记录): JHA work steps and SCL check items of risk points."""

from core.ui.crud_page import render_table_page

render_table_page("risk_analysis_item")
