"""contractor_evaluation (contractor module)."""

from core.ui.crud_page import render_table_page

render_table_page("contractor_evaluation")
