"""The compliance module's home page: key figures, what needs attention, screens and registers."""

from core.ui.module_home import render_module_home

render_module_home("compliance")
