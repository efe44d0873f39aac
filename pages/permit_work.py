"""作业票办理: my permit to-do list and the permit desk."""

from core.db import session_scope
from core.ui.nav import guard
from core.ui.permit.work import render_work
from models.enums import Module

actor = guard(Module.PERMIT)
with session_scope() as session:
    render_work(session, actor)
