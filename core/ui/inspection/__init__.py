"""Screens of the inspection rounds."""
