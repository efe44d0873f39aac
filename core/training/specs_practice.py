"""CRUD declarations for the wrong-answer book, practice answers and the points ledger."""

from __future__ import annotations
