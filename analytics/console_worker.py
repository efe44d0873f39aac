"""The SQL console's worker process: copies, locks down and runs one query at a time.

An analyst's query can ask for more memory or time than the app can give (``SELECT
repeat('x', 100000000) FROM range(100)`` wants 10 GB; ``length(repeat('x', 2000000000))``
ignores DuckDB's interrupt for half a minute). Run inside the app, it took the whole app with
it. Here it runs in its own process (``python -m analytics.console_worker MEMORY_MB``) that:

* caps its own memory with ``RLIMIT_DATA`` before taking any work. Not ``RLIMIT_AS``: loading
  the SQLite scanner alone reserves ~0.9 GB of address space it never touches (measured:
  VmSize 1.45 GB, VmData 0.25 GB), so an address-space cap under ~1.5 GB fails every query
  while a data cap counts what is really allocated (heap and anonymous mappings, Linux ≥ 4.7).
  DuckDB's own ``memory_limit`` is set well below it, so most overruns end as a clean
  "out of memory" error and the worker lives on;
* interrupts the copy and the query at their limits (a soft stop the worker survives); the
  parent (:mod:`analytics.console_pool`) kills it outright a little later, for the functions
  DuckDB cannot interrupt;
* never opens the SQLite file with Python's ``sqlite3`` (it imports neither SQLAlchemy nor the
  app), so the scanner's SQLite is the only one in the process (see :mod:`analytics.duck_process`).

Everything that needs the app (scope, secrets, which tables) is decided by the parent, which
sends a :class:`Job` of plain SQL. Replies: ``("copied", copy_ms)`` when the tables are in,
then ``("done", arrow_ipc_bytes, query_ms)`` or ``("refused", key, params)``; the framing is
:mod:`analytics.duck_process`'s.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from analytics.duck_process import _recv, _send

#: Share of the process's memory cap DuckDB may use, per database (the copy's source and the
#: sandbox live at once while copying); Arrow buffers and Python take the rest.
DUCKDB_SHARE = 0.4
CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
_COPY_TIMEOUT = "sql_console.refused.copy_timeout"
_QUERY_TIMEOUT = "sql_console.refused.timeout"
Reply = tuple[Any, ...]


@dataclass(frozen=True)
class Job:
    """One query, as plain data: the statements that attach the operational database (empty
    when no table is needed), ``(table, SELECT)`` pairs that copy the scoped rows, and the
    wrapped query with its limits."""

    attach: list[str]
    copies: list[tuple[str, str]]
    query: str
    copy_seconds: float
    query_seconds: float
    memory_mb: int
    result_bytes: int


class _Watchdog:
    """Interrupts the connections from a timer thread once ``seconds`` have passed, and keeps
    interrupting until the guarded block ends (an interrupt between statements is lost)."""

    def __init__(self, seconds: float, *cons: duckdb.DuckDBPyConnection) -> None:
        self.cons, self.seconds = list(cons), seconds
        self.expired = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired.set()
        while True:
            for con in self.cons:
                with contextlib.suppress(duckdb.Error):  # already closed
                    con.interrupt()
            if self._done.wait(0.02):
                return

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()


class _Stop(Exception):
    """Ends a job with a refusal: a catalogue key and its parameters."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.reply: Reply = ("refused", key, params)


def _database(job: Job, **extra: str) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB whose buffer manager stays under the process's cap."""
    con = duckdb.connect(":memory:", config={**CONFIG, **extra})
    con.execute(f"SET memory_limit = '{int(job.memory_mb * DUCKDB_SHARE)}MB'")
    return con


@contextlib.contextmanager
def _phase(job: Job, dog: _Watchdog, key: str) -> Iterator[None]:
    """Turns DuckDB's and Arrow's failures into the refusals the user reads."""
    try:
        yield
    except duckdb.InterruptException as exc:
        raise _Stop(key, seconds=f"{dog.seconds:g}") from exc
    except (duckdb.OutOfMemoryException, MemoryError, pa.ArrowMemoryError) as exc:
        raise _Stop("sql_console.refused.memory", mb=job.memory_mb) from exc
    except duckdb.Error as exc:
        if dog.expired.is_set():
            raise _Stop(key, seconds=f"{dog.seconds:g}") from exc
        raise _Stop("sql_console.error.failed", error=str(exc).split("\n")[0]) from exc


def _copy(job: Job, box: duckdb.DuckDBPyConnection) -> None:
    """The scoped rows into the sandbox, through Arrow: the sandbox never attaches the
    database nor loads its scanner, so the query cannot read around the scope."""
    if not job.attach:  # ``SELECT 1`` needs no database
        return
    ops = _database(job)
    try:
        with _Watchdog(job.copy_seconds, ops, box) as dog, _phase(job, dog, _COPY_TIMEOUT):
            for statement in job.attach:
                ops.execute(statement)
            for name, select in job.copies:
                box.register("console_copy", ops.execute(select).to_arrow_table())
                box.execute(f'CREATE TABLE "{name}" AS SELECT * FROM console_copy')
                box.unregister("console_copy")
    finally:
        ops.close()


def _query(job: Job, box: duckdb.DuckDBPyConnection) -> bytes:
    """Lock the sandbox down, run the query, and the result as Arrow IPC bytes."""
    with _Watchdog(job.query_seconds, box) as dog, _phase(job, dog, _QUERY_TIMEOUT):
        box.execute("SET temp_directory = ''")  # no spilling: the memory cap is the limit
        # analytics.duck.lock_down's two settings (that module brings the whole app with it)
        box.execute("SET enable_external_access = false")
        box.execute("SET lock_configuration = true")
        table = box.execute(job.query).to_arrow_table()
        if table.nbytes > job.result_bytes:
            raise _Stop("sql_console.refused.result_size", mb=job.result_bytes >> 20)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()


def run(job: Job) -> Iterator[Reply]:
    """The replies to one job, each as soon as it is known (the parent times the phases)."""
    box = _database(job, python_enable_replacements="false")
    try:
        start = time.perf_counter()
        _copy(job, box)
        yield ("copied", round((time.perf_counter() - start) * 1000))
        start = time.perf_counter()
        data = _query(job, box)
        yield ("done", data, round((time.perf_counter() - start) * 1000))
    except _Stop as stop:
        yield stop.reply
    except Exception as exc:  # reported to the user; the worker stays usable
        yield ("refused", "sql_console.error.failed", {"error": f"{type(exc).__name__}: {exc}"})
    finally:
        box.close()


def cap_memory(memory_mb: int) -> None:
    """Limit this process's data segment: past it, allocations fail instead of growing."""
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main() -> None:
    """Entry point: the protocol on the original stdout, anything printed goes to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    cap_memory(int(sys.argv[1]))
    with contextlib.suppress(BrokenPipeError):  # the app has gone: so do we
        _send(out, ("ready", os.getpid()))
        while (message := _recv(sys.stdin.buffer)) is not None:
            for reply in run(Job(**message[0])):
                _send(out, reply)


if __name__ == "__main__":
    main()
