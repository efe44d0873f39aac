"""Hazard analysis: trends, Pareto, area heat map, closure and on-time rates, overdue list."""

from core.ui.hazard.analysis import render

render()
