"""Audit log."""

from core.ui.audit_page import audit_page
from core.ui.nav import guard
from models.enums import Module

audit_page(guard(Module.AUDIT))
