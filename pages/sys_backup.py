"""Backups (admin)."""

from core.ui.backup_page import backup_page
from core.ui.nav import guard
from models.enums import Action, Module

backup_page(guard(Module.SYSTEM, Action.CONFIGURE))
