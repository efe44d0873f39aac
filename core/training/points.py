"""The points ledger: study time, exams passed and practice earn points, once per source row."""

from __future__ import annotations
