"""AI video violations and their review (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("video_violation")
