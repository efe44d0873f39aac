"""What training does when records move: the modules below register their reactions to a
graded exam (``core.training.outcomes``) when imported."""

from __future__ import annotations
