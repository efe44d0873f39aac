"""Camera health: status, fps, lag and last frame of every camera, stale heartbeats flagged."""

from core.ui.video.cameras import render

render()
