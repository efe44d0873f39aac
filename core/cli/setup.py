"""Setting up and starting an installation: ``init``, ``demo``, ``run`` and ``db``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from core import migrate
from core.cli.output import CliError, progress_line, report_init, say
from core.config import REPO_ROOT, Settings
from core.db import get_engine
from core.init_db import InitResult, initialise

APP_FILE = REPO_ROOT / "streamlit_app.py"
#: What ``streamlit run`` starts: ``st.App`` serving APP_FILE plus the log-in cookie's routes.
SERVER_ENTRY = REPO_ROOT / "core" / "web" / "safeloop_asgi.py"


def _initialise(settings: Settings, demo: bool, scale: str = "S") -> InitResult:
    with progress_line() as line:
        return initialise(settings, demo=demo, scale=scale, progress=line)


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    result = _initialise(settings, args.demo)
    report_init(settings, result)
    if args.demo and result.demo is None:
        say("demo not loaded: the database already has user accounts")
    say(f"ready in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    result = _initialise(settings, demo=True, scale=args.scale)
    if result.demo is None:
        raise CliError("the database already has user accounts; the demo needs one without")
    report_init(settings, result)
    return 0


def _wants_demo(args: argparse.Namespace, settings: Settings) -> bool:
    """``--demo-if-new`` unless the configuration says ``demo = false`` (SAFELOOP_DEMO=0)."""
    if "demo" in settings.model_fields_set:
        return settings.demo
    return args.demo_if_new


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    for needed in (APP_FILE, SERVER_ENTRY):
        if not needed.exists():
            raise CliError(f"{needed} is missing; is this a complete SafeLoop checkout?")
    host = args.host or settings.host
    port = args.port or settings.port
    report_init(settings, _initialise(settings, _wants_demo(args, settings)))
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    say(f"SafeLoop 正在启动 / is starting: http://{shown}:{port}")
    # The app reads the same settings; make relative paths survive the chdir below, which
    # streamlit needs to find the repo's .streamlit/config.toml.
    os.environ["SAFELOOP_DATA_DIR"] = str(settings.data_dir.resolve())
    if os.environ.get("SAFELOOP_CONFIG"):
        os.environ["SAFELOOP_CONFIG"] = str(Path(os.environ["SAFELOOP_CONFIG"]).resolve())
    os.environ.update(SAFELOOP_HOST=host, SAFELOOP_PORT=str(port))
    flags = {"server.port": port, "server.address": host, "server.headless": "true"}
    flags["browser.gatherUsageStats"] = "false"
    # the uploader's ceiling: course videos may be larger than other files; the attachment
    # store still refuses each kind past its own limit (max_upload_mb, max_video_mb)
    flags["server.maxUploadSize"] = str(max(settings.max_upload_mb, settings.max_video_mb))
    argv = [sys.executable, "-m", "streamlit", "run", str(SERVER_ENTRY)]
    argv += [arg for name, value in flags.items() for arg in (f"--{name}", str(value))]
    os.chdir(REPO_ROOT)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no exec on Windows: wait for the child and pass its code on
        try:
            return subprocess.call(argv)
        except KeyboardInterrupt:
            return 130
    os.execv(sys.executable, argv)
    return 0  # not reached


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    say(f"database at revision {migrate.current_revision(get_engine(settings))} (head)")
    return 0


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    current = migrate.current_revision(get_engine(settings))
    head = migrate.head_revision()
    state = "up to date" if current == head else "upgrade pending: run `safeloop db upgrade`"
    say(f"current: {current or 'none (empty database)'}")
    say(f"head:    {head} ({state})")
    return 0
