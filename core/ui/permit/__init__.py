"""Screens of the work-permit module."""
