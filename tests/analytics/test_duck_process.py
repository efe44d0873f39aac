"""DuckDB over SQLite runs in a helper process, so the app's own SQLite connections keep working.

The regression: with the scanner in the app process, the app's connections lost their file
locks, and after another process wrote and checkpointed, the app read stale pages or
"database disk image is malformed" (the live feed stopped showing the detector's violations).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import polars as pl
import pytest
from sqlalchemy import text

from analytics.duck import connect
from analytics.duck_process import RemoteConnection
from core.db import make_engine

WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
for _ in range(int(sys.argv[2])):
    db.execute("INSERT INTO reading (blob) VALUES (randomblob(4000))")
    db.commit()
"""


def _write_elsewhere(path: Path, rows: int) -> None:
    """Another process (like the detector) commits ``rows`` rows, enough to checkpoint."""
    subprocess.run([sys.executable, "-c", WRITER, str(path), str(rows)], check=True)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "ops.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE reading (id INTEGER PRIMARY KEY, blob BLOB)"))
        conn.execute(text("INSERT INTO reading (blob) VALUES (x'00')"))
    engine.dispose()
    return path


def test_the_app_reads_fresh_rows_after_an_analytics_query(sqlite_file: Path) -> None:
    app = sqlite3.connect(sqlite_file)  # the app's own connections (pysqlite)
    assert app.execute("SELECT count(*) FROM reading").fetchone() == (1,)
    con = connect(f"sqlite:///{sqlite_file}")
    assert isinstance(con, RemoteConnection)
    assert con.sql("SELECT count(*) FROM reading").fetchone() == (1,)
    con.close()
    _write_elsewhere(sqlite_file, 3000)
    assert app.execute("SELECT count(*) FROM reading").fetchone() == (3001,)
    later = sqlite3.connect(sqlite_file)  # the pool opens another one
    assert later.execute("SELECT count(*) FROM reading").fetchone() == (3001,)
    _write_elsewhere(sqlite_file, 3000)
    # With the scanner in this process: "database disk image is malformed" here.
    assert app.execute("SELECT count(*) FROM reading").fetchone() == (6001,)
    assert later.execute("SELECT count(*) FROM reading").fetchone() == (6001,)
    app.close()
    later.close()


def test_results_errors_and_close_behave_like_duckdb(sqlite_file: Path) -> None:
    con = connect(f"sqlite:///{sqlite_file}")
    frame = con.execute("SELECT id, ? AS label FROM reading", ["a"]).pl()
    assert frame.to_dicts() == [{"id": 1, "label": "a"}]
    assert isinstance(frame, pl.DataFrame)
    assert con.sql("SELECT 1 AS x").to_arrow_table().column_names == ["x"]
    con.execute("CREATE TEMP TABLE t AS SELECT 41 + 1 AS v")  # state stays in the helper
    assert con.sql("SELECT v FROM temp.main.t").fetchall() == [(42,)]
    with pytest.raises(duckdb.ParserException):
        con.sql("SELEC 1")
    with pytest.raises(duckdb.CatalogException):
        con.sql("SELECT * FROM no_such_table")
    assert con.sql("SELECT 2").fetchone() == (2,)  # still usable after an error
    with pytest.raises(duckdb.Error):
        con.execute("INSERT INTO reading (blob) VALUES (x'01')")  # attached read-only
    con.close()
    con.close()  # twice is fine
    with pytest.raises(duckdb.ConnectionException):
        con.sql("SELECT 1")


def test_interrupt_cancels_a_running_query_and_the_next_one_runs(sqlite_file: Path) -> None:
    con = connect(f"sqlite:///{sqlite_file}")
    timer = threading.Timer(0.3, con.interrupt)
    timer.start()
    with pytest.raises(duckdb.InterruptException):
        con.sql("SELECT count(*) FROM range(100000000000) a").fetchone()
    timer.join()
    assert con.sql("SELECT count(*) FROM reading").fetchone() == (1,)
    con.close()


def test_a_helper_that_died_gives_a_clear_error_and_the_next_connection_works(
    sqlite_file: Path,
) -> None:
    con = connect(f"sqlite:///{sqlite_file}")
    con._live().proc.kill()  # e.g. killed by the OOM killer
    with pytest.raises(duckdb.ConnectionException, match="helper process stopped"):
        con.sql("SELECT 1")
    con.close()
    again = connect(f"sqlite:///{sqlite_file}")
    assert again.sql("SELECT count(*) FROM reading").fetchone() == (1,)
    again.close()
