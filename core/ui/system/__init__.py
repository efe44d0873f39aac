"""Screens of the system pages: users, permissions, audit, backups."""
