"""Hazard analysis: trends, Pareto, area heat map, closure and on-time rates, overdue list."""

from core.ui.hazard_analysis import render

render()
