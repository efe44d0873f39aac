"""SQL console: read-only, scoped, limited and audited queries over the business tables."""

from core.ui.sql_console import render

render()
