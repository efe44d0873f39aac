"""The server's entry: ``streamlit run core/web/safeloop_asgi.py`` (what ``safeloop run``
does) finds ``app`` below and serves ``streamlit_app.py`` with the log-in cookie's routes.

Streamlit puts this file's folder first on ``sys.path`` and imports it as a top-level
module, so the folder holds nothing that could shadow another module's name. The
repository's ``.streamlit/config.toml`` is read from the working directory (the repo root),
and ``pages/`` and ``static/`` are found next to ``streamlit_app.py`` as before.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core import installed
from core.config import REPO_ROOT
from core.web import ROUTES

MAIN_SCRIPT = REPO_ROOT / "streamlit_app.py"
#: What the first page view would otherwise import (about 4 s on a 2-core machine): the shell,
#: every domain's declarations and the pages' own UI modules.
WARM = ("core.ui.shell", "core.ui.module_home", "core.ui.crud_page", "core.ui.home")

# The app's pages are st.navigation's (core/ui/menu.py). Streamlit decides once per process,
# before the first run, whether a ``pages/`` folder means its old folder mode; in that mode the
# first request after a start that names a page (a bookmark, F5) ran that page's file alone,
# without the shell, its menu or its log-in gate's redirect.
PagesManager.uses_pages_directory = False


@asynccontextmanager
async def _warm(_app: Any) -> AsyncIterator[None]:
    """Import the app before the first visitor does: the log-in form then draws at once."""
    for name in WARM:
        importlib.import_module(name)
    installed.load()  # every domain's tables, flows and reminders
    yield


app = st.App(str(MAIN_SCRIPT), routes=ROUTES, lifespan=_warm)
