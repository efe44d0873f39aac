"""The app's side of the console workers: a small pool, a queue, and the hard limits.

Each query runs in a :mod:`analytics.console_worker` process, so the app's own memory never
holds more than the (capped) result. The parent enforces what the worker cannot promise:

* **wall clock**: the copy and the query each have a limit; the worker interrupts itself at
  the limit, and is killed (SIGKILL) a grace period later if it has not answered — DuckDB
  cannot interrupt a single long function call. The refusal names the phase that ran out;
* **result size**: a reply larger than the job allows is not read; the worker is killed;
* **replacement**: a killed or crashed worker is replaced by a new one started at once;
* **queue**: at most ``size`` queries run site-wide (one worker each, started lazily); one
  running query per user (a second is refused at once); others wait up to ``queue_seconds``
  for a worker, then are told the console is busy.

Example:
    >>> pool = shared(PoolConfig(size=2, memory_mb=2048, queue_seconds=10))  # doctest: +SKIP
    >>> outcome = pool.run("user:7", job)  # doctest: +SKIP
    >>> outcome.copy_ms, outcome.query_ms  # doctest: +SKIP
    (180, 4)
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import pickle
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from analytics.console_worker import Job
from analytics.duck_process import HEADER, REPO_ROOT, _read_exactly, _send
from core.i18n import Translatable

#: How long a new worker may take to start (import DuckDB and Arrow) before it is given up.
START_SECONDS = 60.0
#: Room in a reply beyond the result itself (the frame's pickle around the Arrow bytes).
REPLY_SLACK = 1 << 20
#: A worker whose data segment is past this share of its cap after a job is replaced: DuckDB's
#: allocator keeps what a big query took, and the next query would fail at once (measured:
#: after an out-of-memory query VmData stays at the cap and the next attach aborts the worker).
RETIRE_SHARE = 0.5
#: Arrow's default allocator (mimalloc) reserves 1 GiB of data segment up front; the system
#: allocator reserves nothing (a fresh worker's VmData: 1.2 GB → 0.16 GB).
WORKER_ENV = {"ARROW_DEFAULT_MEMORY_POOL": "system"}


class Refused(Translatable):
    """A query the console will not run or did not finish; the message says why in the user's
    language."""


def grace(seconds: float) -> float:
    """How long after its limit a silent worker is killed: half the limit, at most a second
    (so a query is always stopped within twice its limit)."""
    return min(1.0, seconds / 2)


@dataclass(frozen=True)
class PoolConfig:
    size: int  # queries running at once, site-wide
    memory_mb: int  # each worker's memory cap
    queue_seconds: float  # how long a query waits for a free worker


@dataclass(frozen=True)
class Outcome:
    arrow: bytes  # the result as an Arrow IPC stream
    copy_ms: int
    query_ms: int


class Worker:
    """One worker process and its pipes (unbuffered reads: ``select`` sees every byte)."""

    def __init__(self, memory_mb: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analytics.console_worker", str(memory_mb)],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            env={**os.environ, **WORKER_ENV},
            start_new_session=True,  # a Ctrl-C in the terminal is for the app, not for us
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = io.BufferedWriter(self.proc.stdin)
        self._out = self.proc.stdout
        self.memory_mb = memory_mb
        self.ready = False
        self.busy = False  # a job was sent and its last reply not yet read

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def bloated(self) -> bool:
        """Whether the worker holds more than :data:`RETIRE_SHARE` of its cap (Linux)."""
        try:
            with open(f"/proc/{self.pid}/status") as status:
                line = next((x for x in status if x.startswith("VmData:")), "VmData: 0 kB")
        except OSError:
            return False
        return int(line.split()[1]) << 10 > RETIRE_SHARE * (self.memory_mb << 20)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        """Ask an idle worker to end (it exits when its input closes)."""
        with contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def _reply(self, seconds: float, limit_bytes: int) -> tuple[Any, ...] | None:
        """The next reply, or None when none came within ``seconds`` (the worker is then
        killed); :class:`Refused` when the worker died or the reply is too large."""
        ready, _, _ = select.select([self._out], [], [], max(seconds, 0.0))
        if not ready:
            self.kill()
            return None
        header = _read_exactly(self._out, HEADER.size)
        if header is not None and HEADER.unpack(header)[0] > limit_bytes + REPLY_SLACK:
            self.kill()
            raise Refused("sql_console.refused.result_size", mb=limit_bytes >> 20)
        data = None if header is None else _read_exactly(self._out, HEADER.unpack(header)[0])
        if data is None:
            self.kill()
            raise Refused("sql_console.refused.crashed", mb=self.memory_mb)
        return pickle.loads(data)

    def run(self, job: Job) -> Outcome:
        """Run ``job`` under its limits; raises :class:`Refused`."""
        if not self.ready:
            if self._reply(START_SECONDS, 0) is None:
                raise Refused("sql_console.refused.crashed", mb=self.memory_mb)
            self.ready = True
        try:
            _send(self._in, (asdict(job),))
        except OSError as exc:
            self.kill()
            raise Refused("sql_console.refused.crashed", mb=self.memory_mb) from exc
        self.busy = True
        copy_seconds = job.copy_seconds
        reply = self._reply(copy_seconds + grace(copy_seconds), job.result_bytes)
        if reply is None:
            raise Refused("sql_console.refused.copy_timeout", seconds=f"{copy_seconds:g}")
        if reply[0] == "copied":
            copy_ms, seconds = reply[1], job.query_seconds
            reply = self._reply(seconds + grace(seconds), job.result_bytes)
            if reply is None:
                raise Refused("sql_console.refused.timeout", seconds=f"{seconds:g}")
            if reply[0] == "done":
                self.busy = False
                return Outcome(reply[1], copy_ms, reply[2])
        self.busy = False
        _, key, params = reply
        raise Refused(key, **params)


class Pool:
    """At most ``size`` workers busy at once, one query per user, a bounded wait."""

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._slots = threading.BoundedSemaphore(config.size)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._users: set[str] = set()
        self._closed = False

    @contextlib.contextmanager
    def _turn(self, user: str) -> Iterator[None]:
        """Hold the user's one turn and a slot for the block; :class:`Refused` if the user
        already has a query running or no slot frees up in time."""
        with self._lock:
            if user in self._users:
                raise Refused("sql_console.refused.running")
            self._users.add(user)
        try:
            if not self._slots.acquire(timeout=self.config.queue_seconds):
                raise Refused(
                    "sql_console.refused.busy",
                    workers=self.config.size,
                    seconds=f"{self.config.queue_seconds:g}",
                )
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._users.discard(user)

    def _take(self) -> Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()  # reap it
        return Worker(self.config.memory_mb)

    def _give_back(self, worker: Worker) -> None:
        """Keep a live worker; replace a killed one at once, so the next query finds it warm.
        One left mid-job (by an exception in the caller: its replies are stale) or bloated by
        its query is killed first."""
        if worker.busy or worker.bloated():
            worker.kill()
        with self._lock:
            keep = not self._closed and len(self._idle) < self.config.size
        if not keep:
            worker.stop()
            return
        if not worker.alive():
            worker = Worker(self.config.memory_mb)
        with self._lock:
            self._idle.append(worker)

    def run(self, user: str, job: Job) -> Outcome:
        """Run ``job`` for ``user`` in a worker; raises :class:`Refused`."""
        with self._turn(user):
            worker = self._take()
            try:
                return worker.run(job)
            finally:
                self._give_back(worker)

    def idle_pids(self) -> list[int]:
        """The idle workers' process ids (what a test or an operator looks at)."""
        with self._lock:
            return [w.pid for w in self._idle if w.alive()]

    def close(self) -> None:
        """Stop the idle workers; busy ones stop when their query ends."""
        with self._lock:
            workers, self._idle, self._closed = self._idle, [], True
        for worker in workers:
            worker.stop()


_shared: Pool | None = None
_shared_lock = threading.Lock()


def shared(config: PoolConfig) -> Pool:
    """The app's pool, rebuilt when the settings it was made from change."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.config != config:
            if _shared is not None:
                _shared.close()
            _shared = Pool(config)
        return _shared


@atexit.register
def close_shared() -> None:
    """Stop the idle workers with the app (they also stop on their own when it ends)."""
    with _shared_lock:
        if _shared is not None:
            _shared.close()
