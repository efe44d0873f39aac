"""The size an upload box announces and enforces: ``max_upload_mb`` for every file, and
``max_video_mb`` where a course's videos are attached (the server's own ceiling is the larger
of the two, ``core/cli/setup.py``)."""

from __future__ import annotations

from core.config import get_settings


def upload_limit(*, videos: bool = False) -> int:
    """Megabytes per file for an upload box."""
    settings = get_settings()
    return max(settings.max_upload_mb, settings.max_video_mb) if videos else settings.max_upload_mb
