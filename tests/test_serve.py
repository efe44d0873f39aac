"""``safeloop run`` starts Streamlit with its pages-folder mode off: otherwise the first request
a server sees for ``/<page>`` runs ``pages/<page>.py`` without the app's log-in gate."""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager

from core.ui import serve


def test_serve_turns_the_pages_folder_mode_off(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], str]] = []
    monkeypatch.setattr(serve, "main", lambda args, prog_name: calls.append((args, prog_name)))
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    serve.serve(["streamlit_app.py", "--server.port", "8599"])
    assert PagesManager.uses_pages_directory is False
    assert calls == [(["run", "streamlit_app.py", "--server.port", "8599"], "streamlit")]
