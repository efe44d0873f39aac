"""Settings: reference lists, templates and administration."""

from core.ui.settings_home import render_settings_home

render_settings_home()
