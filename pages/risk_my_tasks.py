"""我的排查任务: the inspector's open rounds, sized for a phone."""

from core.ui.inspection.rounds import render_my_tasks
from core.ui.nav import guard
from models.enums import Module

render_my_tasks(guard(Module.RISK))
