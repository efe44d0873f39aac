"""DuckDB over a SQLite file, run in a helper process.

DuckDB's SQLite scanner links its own copy of SQLite. Two copies of SQLite in one process
break each other's POSIX locks on the same file (closing or unlocking in one drops the
other's locks: sqlite.org "How To Corrupt", 2.2.1), and a WAL database then gives the app's
own connections stale pages or "database disk image is malformed" as soon as another process
(the detector, a second worker) writes and checkpoints. Measured here: after one DuckDB
attach in the app process, a live-feed page stopped seeing the detector's new violations.

So on SQLite the DuckDB connection lives in a child process (``python -m
analytics.duck_process``) that never opens the file with any other SQLite; the app talks to
it through a :class:`RemoteConnection` with the small part of the DuckDB connection API that
the analytics use (``execute`` / ``sql`` → ``fetchall`` / ``fetchone`` / ``pl`` /
``to_arrow_table``, ``interrupt``, ``close``). Errors come back as the same ``duckdb``
exception classes. Idle helpers are kept for the next connection (starting one costs about
half a second), at most :data:`MAX_IDLE` of them.

The protocol: pickled tuples, each framed by its length, over the child's stdin / stdout
(the child moves its own stdout to stderr first, so nothing else can write into a frame).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import duckdb

MAX_IDLE = 4
HEADER = struct.Struct("<Q")
REPO_ROOT = Path(__file__).resolve().parents[1]


def _send(stream: IO[bytes], message: tuple[Any, ...]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recv(stream: IO[bytes]) -> tuple[Any, ...] | None:
    """The next message, or None when the other side has gone."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    data = _read_exactly(stream, HEADER.unpack(header)[0])
    return None if data is None else pickle.loads(data)


# --- the child ---------------------------------------------------------------------------------


class _Server:
    """One DuckDB connection at a time, driven by the parent's messages."""

    def __init__(self) -> None:
        self.con: duckdb.DuckDBPyConnection | None = None

    def open(self, config: dict[str, str], statements: list[str]) -> None:
        self.close()
        self.con = duckdb.connect(":memory:", config=config)
        for statement in statements:
            self.con.execute(statement)

    def execute(self, sql: str, params: Any = None) -> None:
        self._con().execute(sql, params)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._con().fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._con().fetchone()

    def arrow(self) -> Any:
        return self._con().to_arrow_table()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def interrupt(self) -> None:
        con = self.con
        if con is not None:
            with contextlib.suppress(duckdb.Error):
                con.interrupt()

    def _con(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            raise duckdb.ConnectionException("Connection already closed!")
        return self.con


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Answer requests in order; an ``interrupt`` is handled at once by the reader thread."""
    server, jobs = _Server(), queue.Queue[tuple[Any, ...] | None]()

    def read() -> None:
        while (message := _recv(inp)) is not None:
            if message[0] == "interrupt":
                server.interrupt()
            else:
                jobs.put(message)
        jobs.put(None)

    threading.Thread(target=read, daemon=True).start()
    while (message := jobs.get()) is not None:
        op, *args = message
        try:
            reply: tuple[Any, ...] = ("ok", getattr(server, op)(*args))
        except duckdb.Error as exc:
            reply = ("err", type(exc).__name__, str(exc))
        except Exception as exc:  # reported to the caller, the helper stays usable
            reply = ("err", "Error", f"{type(exc).__name__}: {exc}")
        _send(out, reply)
    server.close()


def main() -> None:
    """Entry point of the helper: the protocol on the original stdout, prints to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, out)


# --- the parent --------------------------------------------------------------------------------


class _Helper:
    """A running child process and its pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analytics.duck_process"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal is for the app, not for us
        )
        self._write = threading.Lock()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def post(self, *message: Any) -> None:
        assert self.proc.stdin is not None
        with self._write:
            _send(self.proc.stdin, message)

    def call(self, *message: Any) -> Any:
        try:
            self.post(*message)
            assert self.proc.stdout is not None
            reply = _recv(self.proc.stdout)
        except (BrokenPipeError, OSError) as exc:
            raise duckdb.ConnectionException(f"the DuckDB helper process stopped: {exc}") from exc
        if reply is None:
            raise duckdb.ConnectionException(
                f"the DuckDB helper process stopped (exit code {self.proc.poll()})"
            )
        if reply[0] == "ok":
            return reply[1]
        kind = getattr(duckdb, reply[1], duckdb.Error)
        if not (isinstance(kind, type) and issubclass(kind, duckdb.Error)):
            kind = duckdb.Error
        raise kind(reply[2])

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_idle: list[_Helper] = []
_idle_lock = threading.Lock()


def _take() -> _Helper:
    with _idle_lock:
        while _idle:
            helper = _idle.pop()
            if helper.alive():
                return helper
    return _Helper()


def _give_back(helper: _Helper) -> None:
    if helper.alive():
        with _idle_lock:
            if len(_idle) < MAX_IDLE:
                _idle.append(helper)
                return
    helper.stop()


@atexit.register
def stop_idle() -> None:
    """Stop the idle helpers (they also stop by themselves when this process ends)."""
    with _idle_lock:
        helpers, _idle[:] = list(_idle), []
    for helper in helpers:
        helper.stop()


class Result:
    """The pending result of the last ``execute`` (DuckDB's own semantics: the next
    ``execute`` on the connection replaces it)."""

    def __init__(self, helper: _Helper) -> None:
        self._helper = helper

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._helper.call("fetchall")

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._helper.call("fetchone")

    def to_arrow_table(self) -> Any:
        return self._helper.call("arrow")

    def pl(self) -> Any:
        import polars as pl

        return pl.from_arrow(self.to_arrow_table())


class RemoteConnection:
    """A DuckDB connection in a helper process: a new in-memory database with ``config``,
    prepared by ``statements`` (loading the scanner, attaching the file)."""

    def __init__(self, config: dict[str, str], statements: list[str]) -> None:
        self._helper: _Helper | None = _take()
        try:
            self._helper.call("open", config, statements)
        except BaseException:
            self._helper.stop()
            self._helper = None
            raise

    def execute(self, sql: str, params: Any = None) -> Result:
        helper = self._live()
        helper.call("execute", sql, params)
        return Result(helper)

    def sql(self, sql: str) -> Result:
        return self.execute(sql)

    def interrupt(self) -> None:
        helper = self._helper
        if helper is not None and helper.alive():
            with contextlib.suppress(OSError):
                helper.post("interrupt")

    def close(self) -> None:
        helper, self._helper = self._helper, None
        if helper is None:
            return
        try:
            helper.call("close")
        except duckdb.Error:
            helper.stop()
            return
        _give_back(helper)

    def _live(self) -> _Helper:
        if self._helper is None:
            raise duckdb.ConnectionException("Connection already closed!")
        return self._helper


if __name__ == "__main__":
    main()
