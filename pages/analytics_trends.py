"""Trends with forecasts (趋势分析): any measure by period and split, heat map, Heinrich
pyramid and Pareto."""

from core.ui.analytics.trends import render

render()
