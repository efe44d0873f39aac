"""Screens of the incident module."""
