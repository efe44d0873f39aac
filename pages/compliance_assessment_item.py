"""assessment_item (compliance)."""

from core.ui.crud_page import render_table_page

render_table_page("assessment_item")
