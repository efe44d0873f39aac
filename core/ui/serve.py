"""Run Streamlit on the SafeLoop app (``safeloop run`` execs this module).

An app folder with a ``pages/`` directory makes Streamlit serve the first script runs in its
old multipage mode, where the address picks a file under ``pages/`` and runs it without the
app's gate, until some run calls ``st.navigation``. A link opened before that (a cockpit
drill-down in a new tab right after a restart) would show an empty page. SafeLoop declares
its navigation in ``streamlit_app.py`` on every run, so the old mode is switched off before the
server starts.

    python -m core.ui.serve streamlit_app.py --server.port 8501
"""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.cli import main


def serve(argv: list[str]) -> None:
    """``streamlit run <argv>`` with the navigation of ``st.navigation`` from the first run."""
    PagesManager.uses_pages_directory = False
    main(args=["run", *argv], prog_name="streamlit")


if __name__ == "__main__":
    serve(sys.argv[1:])
