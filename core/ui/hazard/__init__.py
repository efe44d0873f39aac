"""Screens of the hazard module."""
