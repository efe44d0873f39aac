"""SQL console: read-only, scoped, limited and audited queries over the business tables."""

from core.ui.analytics.sql_console import render

render()
