"""Permit statistics and the combined search: today, monthly trend, units, export and print."""

from core.ui.permit.stats import render

render()
