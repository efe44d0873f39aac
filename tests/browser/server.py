"""Helpers (not tests) to drive the real app in a real browser.

``running_app`` starts ``python -m core.cli run --demo-if-new`` on a free port with its own data
dir and stops it afterwards; ``launch_browser`` starts the system Chromium with the flags that
keep it off the network (FIELD-NOTES); ``record_outside_requests`` lets a test prove that a page
talks to nobody but our server (the app must work on an offline plant network).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
START_TIMEOUT_S = 90.0
LOG_NAME = "server.log"


def free_port() -> int:
    """Ask the OS for an unused localhost port (tiny race, fine for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(log_path: Path, limit: int = 8000) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return text[-limit:] or "(server log is empty)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the whole process group: streamlit's children would otherwise keep the port."""
    if proc.poll() is not None:
        return
    if os.name == "nt":
        proc.terminate()
    else:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        if os.name == "nt":
            proc.kill()
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
        proc.wait(timeout=10)


@contextmanager
def running_app(
    data_dir: Path, env: dict[str, str] | None = None, *, timeout: float = START_TIMEOUT_S
) -> Iterator[str]:
    """Run SafeLoop on a free port with ``data_dir`` as its data dir; yield its base URL.

    ``env`` adds to (and overrides) the inherited environment, e.g. ``{"SAFELOOP_DEMO": "0"}``.
    The server's output goes to ``<data_dir>/server.log``; it is included in the error when the
    server does not answer ``/_stcore/health`` within ``timeout`` seconds.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    child_env = dict(os.environ)
    child_env.update(
        {
            "SAFELOOP_DATA_DIR": str(data_dir),
            "SAFELOOP_HOST": "127.0.0.1",
            "SAFELOOP_PORT": str(port),
            # Same values for streamlit itself, in case a developer's shell set others.
            "STREAMLIT_SERVER_ADDRESS": "127.0.0.1",
            "STREAMLIT_SERVER_PORT": str(port),
            "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            # No file polling: saves a core on 2-core CI and avoids reruns mid-test.
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
            "PYTHONUNBUFFERED": "1",
        }
    )
    child_env.update(env or {})
    cmd = [sys.executable, "-m", "core.cli", "run", "--demo-if-new", "--port", str(port)]
    log_path = data_dir / LOG_NAME
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(base_url):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"SafeLoop server exited with code {proc.returncode} before it was ready.\n"
                    f"--- {log_path} ---\n{_log_tail(log_path)}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"SafeLoop server did not answer {base_url}/_stcore/health in {timeout:.0f}s."
                    f"\n--- {log_path} ---\n{_log_tail(log_path)}"
                )
            time.sleep(0.25)
        yield base_url
    finally:
        _stop(proc)


def launch_browser(playwright: Playwright, **kwargs: Any) -> Browser:
    """System Chromium (Playwright's own download needs the internet) with quiet network flags."""
    options: dict[str, Any] = {
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": list(CHROMIUM_ARGS),
    }
    options.update(kwargs)
    return playwright.chromium.launch(**options)


def is_outside(url: str) -> bool:
    """True for a network URL to any host but this machine; data:/blob:/about: are local."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return False
    return (parts.hostname or "") not in LOCAL_HOSTS


def record_outside_requests(page: Page) -> list[str]:
    """Start recording; the returned list fills with every request URL that leaves the machine.

    Covers HTTP(S) requests and WebSocket connections of the page (and its workers/iframes).
    Call before ``page.goto``; assert the list is empty at the end of the test.
    """
    outside: list[str] = []

    def on_url(url: str) -> None:
        if is_outside(url):
            outside.append(url)

    page.on("request", lambda request: on_url(request.url))
    page.on("websocket", lambda ws: on_url(ws.url))
    return outside
