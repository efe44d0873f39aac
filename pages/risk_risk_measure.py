"""Control measures (管控措施)."""

from core.ui.crud_page import render_table_page

render_table_page("risk_measure")
