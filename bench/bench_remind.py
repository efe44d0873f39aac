"""What ``safeloop remind`` (the cron job) costs on a demo database: every registered
reminder computed, the notices written, and each delivered by e-mail to a real SMTP server
and by webhook to a real HTTP endpoint, both started here on loopback.

The demo database is copied first (a run writes notices), every demo account gets an e-mail
address, and two runs are timed in fresh processes: the first (everything new) and a rerun
(idempotent: nothing new is written or sent). Prints one line per run.

    .venv/bin/python bench/bench_remind.py --data-dir /tmp/demoM [--today 2026-12-07]

(make the demo with ``SAFELOOP_DATA_DIR=/tmp/demoM .venv/bin/python -m core.cli demo --scale M``)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent


class Mailbox:
    """aiosmtpd handler counting the messages it receives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


class Hook(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _copy(data_dir: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix="bench-remind-"))
    for name in ("safeloop.db", "safeloop.db-wal", "safeloop.db-shm"):
        if (data_dir / name).exists():
            shutil.copy2(data_dir / name, work / name)
    with sqlite3.connect(work / "safeloop.db") as db:
        db.execute("UPDATE user SET email = username || '@example.com'")
    return work


def _run(work: Path, env: dict[str, str], today: str | None) -> tuple[float, str]:
    argv = [sys.executable, "-m", "core.cli", "remind"] + (["--today", today] if today else [])
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def _notices(out: str) -> int:
    return sum(int(n) for n in re.findall(r": (\d+) new notices", out))


def _sent(out: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) sent", out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--today", default=None)
    args = parser.parse_args()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=0)
    smtp.start()
    web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    work = _copy(args.data_dir)
    hook = {"name": "bench", "url": f"http://127.0.0.1:{web.server_port}/hook", "secret": "s"}
    env = {
        **os.environ,
        "SAFELOOP_DATA_DIR": str(work),
        "SAFELOOP_SMTP_HOST": "127.0.0.1",
        "SAFELOOP_SMTP_PORT": str(smtp.server.sockets[0].getsockname()[1]),
        "SAFELOOP_SMTP_SECURITY": "none",
        "SAFELOOP_SMTP_FROM": "safeloop@example.com",
        "SAFELOOP_PUBLIC_URL": "https://safety.example.com",
        "SAFELOOP_WEBHOOKS": json.dumps([hook]),
    }
    try:
        with sqlite3.connect(args.data_dir / "safeloop.db") as db:
            hazards = db.execute("SELECT count(*) FROM hazard").fetchone()[0]
        print(f"demo: {args.data_dir} ({hazards:,} hazards)")
        for label in ("first run", "rerun"):
            mails, hooks = mailbox.count, Hook.received
            seconds, out = _run(work, env, args.today)
            notices, sent = _notices(out), _sent(out)
            print(
                f"{label:9}: {seconds:6.1f} s  {notices:7,} new notices "
                f"({notices / seconds:8,.0f}/s)  {sent:6,} deliveries sent "
                f"({mailbox.count - mails} e-mails, {Hook.received - hooks} webhook POSTs)"
            )
    finally:
        smtp.stop()
        web.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
