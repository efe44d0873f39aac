"""Rule-kind catalogue (reference) (generic CRUD page)."""

from core.ui.crud_page import render_table_page

render_table_page("video_rule_kind")
