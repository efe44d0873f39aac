"""SafeLoop entry point: configure the page, make sure the database is ready, run the shell."""

import streamlit as st

from core.config import get_settings
from core.init_db import initialise
from core.ui.shell import run_app

st.set_page_config(page_title="SafeLoop", page_icon="🛡️", layout="wide")


@st.cache_resource(show_spinner=False)
def _database_ready(url: str) -> bool:
    """Migrate once per server process and database (cheap no-op when already current)."""
    initialise(get_settings(), demo=get_settings().demo)
    return True


_database_ready(get_settings().db_url)
run_app()
