"""统计报表: the monthly dual-prevention report, the annual accident table and the training
register, as Excel or PDF."""

from core.ui.analytics.reports import render
from core.ui.nav import guard
from models.enums import Action, Module

render(guard(Module.ANALYTICS, Action.EXPORT))
