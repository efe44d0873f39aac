"""Live violation feed: the newest AI-video violations, refreshed in place, reviewed here."""

from core.ui.video_feed import render

render()
