"""GIS permit view (作业票 GIS 视图): the day's and the running permits on the floor plan."""

from core.ui.permit.map import render

render()
