"""Permission matrix (admin)."""

from core.ui.nav import guard
from core.ui.system.permissions import permission_editor
from models.enums import Action, Module

permission_editor(guard(Module.SYSTEM, Action.CONFIGURE))
