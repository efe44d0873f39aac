"""Violation statistics: by rule kind, camera, zone, hour and day; the false-alarm rate."""

from core.ui.video_stats import render

render()
