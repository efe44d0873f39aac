"""CRUD declarations for course materials."""

from __future__ import annotations
