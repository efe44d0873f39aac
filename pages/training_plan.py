"""training_plan (training module)."""

from core.ui.crud_page import render_table_page

render_table_page("training_plan")
