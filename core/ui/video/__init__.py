"""Screens of the AI-video module."""
