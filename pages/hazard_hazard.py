"""Hazard register (隐患台账): report, rectify, verify, close."""

from core.ui.crud_page import render_table_page

render_table_page("hazard")
