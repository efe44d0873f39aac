"""Backups (admin)."""

from core.ui.nav import guard
from core.ui.system.backup import backup_page
from models.enums import Action, Module

backup_page(guard(Module.SYSTEM, Action.CONFIGURE))
