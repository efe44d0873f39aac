"""Screens of the risk module: the four-colour map and the control list."""
