"""assessment_result (compliance)."""

from core.ui.crud_page import render_table_page

render_table_page("assessment_result")
