"""申请作业票: apply for a hazardous work permit, sized for a phone."""

from core.db import session_scope
from core.ui.nav import guard
from core.ui.permit.apply import render_apply
from models.enums import Action, Module

actor = guard(Module.PERMIT, Action.CREATE)
with session_scope() as session:
    render_apply(session, actor)
