"""The wrong-answer book (错题本): filled from graded exams, emptied by practice."""

from __future__ import annotations
