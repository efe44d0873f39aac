"""What ``safeloop remind`` (the cron job) costs on a demo database: every registered
reminder computed, the notices written, and each delivered by e-mail to a real SMTP server
and by webhook to a real HTTP endpoint, both started here on loopback.

The demo database is copied first (a run writes notices), every demo account gets an e-mail
address, and two runs are timed in fresh processes: the first (everything new) and a rerun
(idempotent: nothing new is written or sent), once per ``--workers`` (webhook POSTs in flight
at once: ``webhook_workers``), side by side. Prints one line per run. ``--format wecom``
makes the webhook a chat robot, which gets one digest per run instead of a POST per event.

    .venv/bin/python bench/bench_remind.py --data-dir /tmp/demoM [--workers 1 8] [--format wecom]

(make the demo with ``SAFELOOP_DATA_DIR=/tmp/demoM .venv/bin/python -m core.cli demo --scale M``)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
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


class Receiver(ThreadingHTTPServer):
    """A listen backlog like a production server's: http.server's default of 5 drops
    connections under eight concurrent senders, and each dropped SYN costs a 1 s retry."""

    request_queue_size = 128


class Hook(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--format", default="generic", choices=("generic", "wecom"))
    args = parser.parse_args()
    mailbox = Mailbox()
    smtp_port = _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    web = Receiver(("127.0.0.1", 0), Hook)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    hook = {"name": "bench", "url": f"http://127.0.0.1:{web.server_port}/hook", "secret": "s"}
    hook["format"] = args.format
    env = {
        **os.environ,
        "SAFELOOP_SMTP_HOST": "127.0.0.1",
        "SAFELOOP_SMTP_PORT": str(smtp_port),
        "SAFELOOP_SMTP_SECURITY": "none",
        "SAFELOOP_SMTP_FROM": "safeloop@example.com",
        "SAFELOOP_PUBLIC_URL": "https://safety.example.com",
        "SAFELOOP_WEBHOOKS": json.dumps([hook]),
    }
    try:
        with sqlite3.connect(args.data_dir / "safeloop.db") as db:
            hazards = db.execute("SELECT count(*) FROM hazard").fetchone()[0]
        print(f"demo: {args.data_dir} ({hazards:,} hazards), webhook format {args.format}")
        for workers in args.workers:
            work = _copy(args.data_dir)
            runs = {**env, "SAFELOOP_DATA_DIR": str(work), "SAFELOOP_WEBHOOK_WORKERS": str(workers)}
            for label in ("first run", "rerun"):
                mails, hooks = mailbox.count, Hook.received
                seconds, out = _run(work, runs, args.today)
                notices, sent = _notices(out), _sent(out)
                print(
                    f"{workers} POSTs at once, {label:9}: {seconds:6.1f} s  {notices:7,} new "
                    f"notices ({notices / seconds:6,.0f}/s)  {sent:6,} deliveries sent "
                    f"({mailbox.count - mails} e-mails, {Hook.received - hooks} webhook POSTs)"
                )
            shutil.rmtree(work, ignore_errors=True)
    finally:
        smtp.stop()
        web.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
