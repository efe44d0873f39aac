"""Delivery log: reminders sent by e-mail and webhook."""

from core.ui.nav import guard
from core.ui.system.delivery import delivery_log_page
from models.enums import Module

delivery_log_page(guard(Module.AUDIT))
