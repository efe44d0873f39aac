"""随手拍 quick hazard report, sized for a phone."""

from core.db import session_scope
from core.ui.hazard.quick_report import quick_report
from core.ui.nav import guard
from models.enums import Action, Module

actor = guard(Module.HAZARD, Action.CREATE)
with session_scope() as session:
    quick_report(session, actor)
