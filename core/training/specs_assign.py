"""CRUD declarations for plan items and training assignments."""

from __future__ import annotations
