"""training_assignment (training module): one person's obligation to complete a course by a date."""

from core.ui.crud_page import render_table_page

render_table_page("training_assignment")
