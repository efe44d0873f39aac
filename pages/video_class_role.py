"""Model class to role map (reference) (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("video_class_role")
