"""permit list, detail (with the whole permit desk under it), import and export."""

from core.ui.crud_page import render_table_page
from core.ui.permit.panel import render_permit

render_table_page("permit", detail_extra=render_permit)
