"""Violation statistics: by rule kind, camera, zone, hour and day; the false-alarm rate."""

from core.ui.video.stats import render

render()
