"""Live violation feed: the newest AI-video violations, refreshed in place, reviewed here."""

from core.ui.video.feed import render

render()
