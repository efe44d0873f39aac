"""The exam start spike (issue 20): N examinees start the same paper at 8:00, answer every
question with autosave at human pace and submit, against a running SafeLoop server.

    .venv/bin/python bench/bench_exam_load.py --db both --n 50,200,500 --mode both

What is simulated, per database kind (``--db``) and N (``--n``), each on a fresh database:

* Setup, not timed: ``safeloop``'s migrations and reference data (the shipped question bank),
  N people with employee accounts, each logged in by a server-side session
  (``core.sessions.create`` + ``exchange``: the token the browser's ``safeloop_session``
  cookie carries), and a rule-set paper of ``--questions`` questions (single, multiple,
  true/false, fill-in in 8:4:5:3 proportion, 100 points, 45 minutes, questions and options
  shuffled, one attempt).
* "server" mode: ``safeloop run`` is started on a free port (``SAFELOOP_DATA_DIR`` and, for
  PostgreSQL, ``DATABASE_URL``), and N real Streamlit sessions are opened through a headless
  client (``bench/exam_load_client.py``: ``websockets`` + ``streamlit.proto`` BackMsg and
  ForwardMsg against ``ws://127.0.0.1:<port>/_stcore/stream``, the cookie in the handshake's
  Cookie header). Each tab opens ``training_exam`` (the exam list; "open"), waits for 8:00
  (all at once, plus ``--start-spread`` seconds of random lateness), clicks the paper's start
  button (a rerun with the button's ``trigger_value``; "start": the attempt is drawn and the
  paper drawn on screen), then, after a think time drawn from ``--think-seconds`` before each
  answer, changes each question's radio/multiselect/text widget (a rerun carrying every
  widget's state; the widget's ``on_change`` autosaves; "save"), and submits in two clicks
  ("confirm" shows the confirmation, "submit" hands the paper in). A step's time runs from
  sending the BackMsg to the ForwardMsg ``script_finished`` of the run it caused (a rerun
  the script asks for included).
* "engine" mode, side by side on its own fresh database of the same kind: the same N
  examinees as threads calling ``start_attempt`` (+ ``paper_for_examinee``), ``save_answer``
  and ``submit`` of ``core.training.exam_attempts`` directly, one ``session_scope`` per step
  with the app's own engine (pool) settings, same spike and think times: the data layer's
  cost without Streamlit.

Afterwards every answer a client saved is compared with ``attempt_item.answer_given`` (lost
answers must be 0), errors (an exception, an error message on the page, a refused step;
must be 0) are counted, and the server's peak memory is the highest sum of VmRSS over the
server process and its children, sampled every 0.5 s from ``/proc``. The client runs on the
same machine as the server (the benchmark's own CPU is in the numbers). The offered rate is
N over the mean think time: the saves per second N people answering at that pace ask for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.exam_load_sitting import Plan, Record, open_tab, sit_in_browser, sit_in_engine
from bench.exam_load_world import World, build, database, lost_answers
from tests.browser.server import running_app

STEPS = ("open", "start", "save", "confirm", "submit")
SAMPLE_EVERY_S = 0.5
SPIKE_DELAY_S = 1.0


def _tree_rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in KiB (0 for a process that is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS"))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total


class PeakRss:
    """Samples a process tree's memory in a thread; ``peak_mib`` is the highest sum seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_kib(self.pid))
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return self.peak / 1024


def _server_pid() -> int:
    """``running_app``'s child (``safeloop run`` execs Streamlit, keeping its pid)."""
    me = Path(f"/proc/{os.getpid()}/task")
    kids = [int(c) for t in me.iterdir() for c in (t / "children").read_text().split()]
    return max(kids)


def _plan(world: World, args: argparse.Namespace) -> Plan:
    return Plan(world.paper_id, time.monotonic() + SPIKE_DELAY_S, args.start_spread, args.think)


async def _server_run(port: int, world: World, args: argparse.Namespace, rec: Record) -> None:
    tabs = await asyncio.gather(*(open_tab(port, e.user_id, e.token, rec) for e in world.examinees))
    plan = _plan(world, args)
    await asyncio.gather(
        *(
            sit_in_browser(tab, e.user_id, plan, rec)
            for tab, e in zip(tabs, world.examinees, strict=True)
            if tab is not None
        )
    )


def run_server(world: World, env: dict[str, str], args: argparse.Namespace) -> dict:
    rec = Record()
    with running_app(Path(env["SAFELOOP_DATA_DIR"]), env) as url:
        port = urlsplit(url).port or 0
        with PeakRss(_server_pid()) as rss:
            began = time.monotonic()
            asyncio.run(_server_run(port, world, args, rec))
            wall = time.monotonic() - began
    return {"rec": rec, "wall": wall, "rss": rss.peak_mib}


def run_engine(world: World, args: argparse.Namespace) -> dict:
    rec = Record()
    with PeakRss(os.getpid()) as rss:
        began = time.monotonic()
        plan = _plan(world, args)
        with ThreadPoolExecutor(max_workers=len(world.examinees)) as pool:
            list(pool.map(lambda e: sit_in_engine(e.user_id, plan, rec), world.examinees))
        wall = time.monotonic() - began
    return {"rec": rec, "wall": wall, "rss": rss.peak_mib}


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0] * 1000:.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1] * 1000:.0f}"


def report(db: str, mode: str, n: int, world: World, result: dict, args: argparse.Namespace):
    rec: Record = result["rec"]
    checked, lost, still_open, shown = lost_answers(rec.saved, rec.submitted)
    think = sum(args.think) / 2
    saves = len(rec.seconds["save"])
    cells = "  ".join(
        f"{step} p50/p95 {_ms(rec.seconds[step], 50)}/{_ms(rec.seconds[step], 95)} ms"
        for step in STEPS
        if rec.seconds.get(step)
    )
    print(
        f"{db:8s} {mode:6s} N={n:<4d} {cells}  errors {len(rec.errors) + still_open}  "
        f"lost {lost}/{checked}  peak RSS {result['rss']:.0f} MiB  "
        f"offered {n / think:.1f} saves/s  done {saves / result['wall']:.1f} saves/s "
        f"in {result['wall']:.0f} s ({world.questions} questions)",
        flush=True,
    )
    for line in (rec.errors[:5] + shown)[:8]:
        print(f"    ! {line}", flush=True)


def _think(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    return float(lo), float(hi or lo)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", default="50,200,500", help="examinees per run, comma-separated")
    parser.add_argument("--mode", choices=("server", "engine", "both"), default="both")
    parser.add_argument("--think-seconds", dest="think", type=_think, default=(2.0, 6.0))
    parser.add_argument("--start-spread", type=float, default=0.0, help="seconds of lateness")
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    modes = ("server", "engine") if args.mode == "both" else (args.mode,)
    for db in dbs:
        for n in (int(x) for x in args.n.split(",")):
            for mode in modes:
                with (
                    tempfile.TemporaryDirectory(prefix="exam_load_") as tmp,
                    database(db, Path(tmp)) as env,
                ):
                    world = build(n, args.questions)
                    if mode == "server":
                        result = run_server(world, env, args)
                    else:
                        result = run_engine(world, args)
                    report(db, mode, n, world, result, args)


if __name__ == "__main__":
    main()
