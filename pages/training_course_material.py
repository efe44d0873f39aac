"""course_material (training module): a course's materials, opened from the course."""

from core.ui.crud_page import render_table_page

render_table_page("course_material")
