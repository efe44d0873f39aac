"""Screens of the analytics module: cockpit, trends, dashboards, SQL console, reports,
wall screen."""
