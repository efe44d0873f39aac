"""Screens of the training module: the online exam and the marking queue."""
