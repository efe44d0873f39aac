"""Audit log."""

from core.ui.nav import guard
from core.ui.system.audit import audit_page
from models.enums import Module

audit_page(guard(Module.AUDIT))
