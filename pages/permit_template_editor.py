"""Permit templates per work type (admin, no code): fields, measures, approval chain, gases."""

from core.ui.nav import guard
from core.ui.permit.template_editor import render
from models.enums import Action, Module

render(guard(Module.PERMIT, Action.CONFIGURE))
