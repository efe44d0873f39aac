"""风险分级管控清单: filter, preview and download the regulators' risk control list."""

from core.ui.nav import guard
from core.ui.risk.control_list import render
from models.enums import Action, Module

render(guard(Module.RISK, Action.EXPORT))
