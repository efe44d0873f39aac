"""What training does when records move: the modules below register their reactions to a
graded exam (``core.training.outcomes``) when imported."""

from __future__ import annotations

from core.training import (  # noqa: F401  (each import registers its listeners)
    certify,
    contractor_entry,
    course_completion,
    points,
    wrong_book,
)
