"""Four-colour risk map (风险四色图); ``?wall=1`` opens the control-room layout."""

from core.ui.risk.map import render

render()
