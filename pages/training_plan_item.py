"""training_plan_item (training module): a plan's lines, opened from the plan."""

from core.ui.crud_page import render_table_page

render_table_page("training_plan_item")
