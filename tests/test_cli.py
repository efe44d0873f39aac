"""The ``safeloop`` command end to end: each test runs ``main([...])`` against a temp data dir.

The demo database is built once per module (about two seconds) and copied for each test
that needs it, so tests stay independent without paying for the demo every time.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from core import cli, db
from core.auth import authenticate
from core.config import get_settings
from core.demo import DEMO_PASSWORD, _Builder, plan
from models.accounts import User
from models.org import Area, Certificate, Enterprise, Park, Person
from tests import demo_cache
from tests.delivery_kit import Receivers

HD_CODE = "91310115MA1H7HD01X"
CHANGED = "content changed after it was written"


def _use_data_dir(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    for name in ("SAFELOOP_CONFIG", "DATABASE_URL", "SAFELOOP_DATABASE_URL", "SAFELOOP_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAFELOOP_DATA_DIR", str(path))
    get_settings.cache_clear()
    db.reset_engines()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty data dir that the CLI (through get_settings) will use."""
    _use_data_dir(monkeypatch, tmp_path)
    yield tmp_path
    db.reset_engines()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def demo_template(run_root: Path) -> Path:
    """The database of the run's shared ``init --demo`` (``tests/demo_cache.py``); read only."""
    return demo_cache.demo_dir(run_root) / demo_cache.DB_FILE


@pytest.fixture
def demo_dir(data_dir: Path, demo_template: Path) -> Path:
    """A private copy of the demo database, and its audit key, in this test's data dir."""
    demo_cache.copy_database(demo_template, data_dir / demo_cache.DB_FILE)
    key = get_settings().audit_key_file.name
    shutil.copy2(demo_template.with_name(key), data_dir / key)
    return data_dir


def _count(model: type, *where: object) -> int:
    with Session(db.get_engine()) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_demo_builds_the_organisation_once(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``demo`` builds it (``init --demo`` builds the run's shared demo, tests/demo_cache.py);
    ``init --demo`` on it then adds nothing and ``demo`` refuses."""
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "demo organisation loaded" in out
    assert f"password {DEMO_PASSWORD}" in out and "park_supervisor" in out
    counts = {m: _count(m) for m in (Park, Enterprise, Area, Person, Certificate, User)}
    assert counts[Park] == 1 and counts[Enterprise] == 3
    assert 110 <= counts[Person] <= 130 and counts[User] == 10
    today = date.today()
    assert _count(Certificate, Certificate.expires_on < today) >= 3
    soon = (Certificate.expires_on >= today, Certificate.expires_on <= today + timedelta(days=30))
    assert _count(Certificate, *soon) >= 3

    assert cli.main(["init", "--demo"]) == 0  # second run: nothing new, log-ins still shown
    out = capsys.readouterr().out
    assert "demo organisation loaded" not in out and "inspector2" in out
    assert {m: _count(m) for m in counts} == counts
    assert cli.main(["demo"]) == 1
    assert "error: the database already has user accounts" in capsys.readouterr().err
    assert {m: _count(m) for m in counts} == counts


def test_demo_accounts_open_with_the_demo_password(demo_dir: Path) -> None:
    with db.session_scope() as session:
        users = session.exec(select(User)).all()
        assert {u.roles[0] for u in users} >= {"admin", "park_supervisor", "display"}
        assert not any(u.must_change_password for u in users)
        user = authenticate(session, "inspector2", DEMO_PASSWORD, get_settings())
        assert user.department_id is not None and user.person_id is not None


def test_demo_plan_is_deterministic_and_areas_do_not_overlap() -> None:
    def names(seed: int) -> list[str]:
        return [p.name for p in _Builder(None, seed, date(2026, 1, 1), print).people]  # type: ignore[arg-type]

    assert names(7) == names(7) != names(8)
    assert len(set(names(7))) == len(names(7))
    for ent in plan()["enterprises"]:
        owner: dict[tuple[int, int], str] = {}
        for area in ent["areas"]:
            for cell in _cells(area["polygon"]):
                assert 0 <= cell[0] < ent["plan_width"] and 0 <= cell[1] < ent["plan_height"]
                assert cell not in owner, f"{area['name']} overlaps {owner.get(cell)}"
                owner[cell] = area["name"]


def _cells(polygon: list[list[float]]) -> set[tuple[int, int]]:
    """1 m cells whose centre lies inside the polygon (ray casting)."""
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    inside = set()
    for x in range(int(min(xs)), int(max(xs))):
        for y in range(int(min(ys)), int(max(ys))):
            cx, cy, hit = x + 0.5, y + 0.5, False
            for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
                if (y1 > cy) != (y2 > cy) and cx < x1 + (cy - y1) * (x2 - x1) / (y2 - y1):
                    hit = not hit
            if hit:
                inside.add((x, y))
    return inside


def test_audit_verify_names_the_tampered_entry(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("audit chain OK: ") and int(out.split()[-2]) > 250

    with closing(sqlite3.connect(demo_dir / "safeloop.db")) as conn, conn:
        row_id, seq = conn.execute(
            "SELECT id, seq FROM audit_entry WHERE action = 'create' ORDER BY seq LIMIT 1 OFFSET 5"
        ).fetchone()
        conn.execute(
            "UPDATE audit_entry SET after = json_set(after, '$.name', '篡改') WHERE id = ?",
            (row_id,),
        )
    assert cli.main(["audit", "verify"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"audit chain BROKEN at entry seq {seq} (id {row_id}): {CHANGED}"


def test_audit_anchor_appends_the_head_and_verify_holds_the_chain_to_it(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = demo_dir / "audit-anchors.jsonl"
    assert cli.main(["audit", "anchor"]) == 0
    assert cli.main(["audit", "anchor"]) == 0
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert len(lines) == 2 and lines[0]["seq"] == lines[1]["seq"] > 250
    assert f"anchored seq {lines[0]['seq']}" in capsys.readouterr().out

    with closing(sqlite3.connect(demo_dir / "safeloop.db")) as conn, conn:
        conn.execute("DELETE FROM audit_entry WHERE seq > 100")
        tip = conn.execute("SELECT hash FROM audit_entry WHERE seq = 100").fetchone()[0]
        conn.execute("UPDATE audit_head SET seq = 100, hash = ?", (tip,))
    assert cli.main(["audit", "verify"]) == 1
    assert "chain shortened" in capsys.readouterr().err
    assert cli.main(["audit", "anchor"]) == 1  # a broken chain is not anchored
    assert len(anchors.read_text().splitlines()) == 2


def test_audit_anchor_also_posts_the_head_to_its_receiver(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Receivers() as receivers:
        hook, down = receivers.start(), receivers.start(500)
        monkeypatch.setenv("SAFELOOP_AUDIT_ANCHOR_URL", hook.url)
        get_settings.cache_clear()
        assert cli.main(["audit", "anchor"]) == 0
        monkeypatch.setenv("SAFELOOP_AUDIT_ANCHOR_URL", down.url)
        get_settings.cache_clear()
        assert cli.main(["audit", "anchor"]) == 1

    written = (data_dir / "audit-anchors.jsonl").read_text().splitlines()
    assert len(written) == 2  # the file keeps the anchor the receiver refused
    assert json.loads(hook.posts[0][2]) == json.loads(written[0])
    assert "anchor not posted: HTTP 500" in capsys.readouterr().err


def test_audit_verify_records_names_an_account_made_admin_in_sql(
    demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "baseline"]) == 0  # the demo's bulk-loaded records
    assert cli.main(["audit", "verify", "--records"]) == 0
    assert "sealed records OK" in capsys.readouterr().out

    with closing(sqlite3.connect(demo_dir / "safeloop.db")) as conn, conn:
        user_id = conn.execute("SELECT id FROM user WHERE username = 'contractor'").fetchone()[0]
        conn.execute(
            """UPDATE user SET roles = '["admin"]', scope = 'ALL' WHERE id = ?""", (user_id,)
        )
    assert cli.main(["audit", "verify", "--records"]) == 1
    err = capsys.readouterr().err
    assert f"sealed record user {user_id} (contractor): changed outside the app" in err


def test_user_add_reads_the_password_from_stdin(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Welder2026\n"))
    argv = ["user", "add", "zhang.san", "--role", "inspector", "--name", "张三"]
    argv += ["--enterprise", HD_CODE, "--department", "焊接车间", "--password-stdin"]
    assert cli.main(argv) == 0
    assert "created user zhang.san" in capsys.readouterr().out
    with db.session_scope() as session:
        user = authenticate(session, "zhang.san", "Welder2026", get_settings())
        assert (user.display_name, user.scope) == ("张三", "department")
        assert not user.must_change_password
        assert user.enterprise_id is not None and user.park_id is not None

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["user", "add", "li.si", "--role", "employee", "--password-stdin"]) == 1
    assert capsys.readouterr().err.strip() == "error: A password needs at least 8 characters"
    monkeypatch.setattr("sys.stdin", io.StringIO("Welder2026\n"))
    assert cli.main(["user", "add", "zhang.san", "--role", "employee", "--password-stdin"]) == 1
    assert "already taken" in capsys.readouterr().err


def _sheet(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    for row in [["name", "employee_no", "enterprise_id", "department_id", "hired_on"], *rows]:
        wb.active.append(row)
    wb.save(path)
    return path


def test_import_is_all_or_nothing(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _count(Person)
    good = ["赵新", "HD9001", "华东重型机械有限公司", "焊接车间", "2024-03-01"]
    bad = ["钱新", "HD9002", "华东重型机械有限公司", "焊接车间", "not a date"]
    sheet = _sheet(demo_dir / "people.xlsx", [good, bad])
    assert cli.main(["import", "person", str(sheet), "--as", "admin"]) == 1
    err = capsys.readouterr().err
    assert "row 3, column " in err and "row 2" not in err
    assert _count(Person) == before

    sheet = _sheet(demo_dir / "people.xlsx", [good, [*bad[:4], "2024-03-02"]])
    assert cli.main(["import", "person", str(sheet), "--as", "admin"]) == 0
    assert "imported 2 rows into person" in capsys.readouterr().out
    assert _count(Person) == before + 2


def test_export_writes_the_actors_rows(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = demo_dir / "exports" / "people.xlsx"
    argv = ["export", "person", "--format", "xlsx", "--out", str(out), "--as", "safety_head"]
    assert cli.main([*argv, "--lang", "en"]) == 0
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    with db.session_scope() as session:
        hd = session.exec(select(Enterprise).where(Enterprise.code == HD_CODE)).one()
    assert rows[0][0] == "ID" and len(rows) - 1 == _count(Person, Person.enterprise_id == hd.id)
    assert f"exported {len(rows) - 1} rows of person" in capsys.readouterr().out

    csv_out = demo_dir / "welders.csv"
    argv = ["export", "person", "--out", str(csv_out), "--as", "admin", "--search", "HD000"]
    assert cli.main(argv) == 0
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 10  # header plus HD0001..HD0009


def test_backup_and_restore_round_trip(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = demo_dir / "safe.zip"
    assert cli.main(["backup", "--to", str(archive)]) == 0
    assert archive.exists() and "backup written" in capsys.readouterr().out
    people = _count(Person)
    with closing(sqlite3.connect(demo_dir / "safeloop.db")) as conn, conn:
        conn.execute("DELETE FROM certificate")
    assert _count(Certificate) == 0

    assert cli.main(["restore", str(archive)]) == 1  # no tty, no --yes: refuses, changes nothing
    assert "--yes" in capsys.readouterr().err
    assert cli.main(["restore", str(archive), "--yes"]) == 0
    assert _count(Certificate) > 0 and _count(Person) == people
    assert cli.main(["audit", "verify"]) == 0


def test_errors_are_one_line_without_traceback(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["export", "nosuch", "--out", "x.xlsx", "--as", "admin"], "error: unknown table 'nosuch'"),
        (["export", "person", "--out", "x.xlsx", "--as", "nobody"], "error: no active user"),
        (["restore", str(data_dir / "missing.zip"), "--yes"], "error: "),
    ]
    for argv, expected in cases:
        code = cli.main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and err[-1].startswith(expected), (argv, err)
        assert not any("Traceback" in line for line in err)


def test_db_current_then_upgrade(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["db", "current"]) == 0
    assert "current: none" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert "(head)" in capsys.readouterr().out
    assert cli.main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_run_initialises_then_hands_over_to_streamlit(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _path, argv: calls.append(argv))
    monkeypatch.chdir(data_dir)  # restored afterwards; run changes to the repo root
    for name in ("SAFELOOP_HOST", "SAFELOOP_PORT"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("SAFELOOP_DEMO", "0")  # configuration says no demo: the flag yields

    assert cli.main(["run", "--demo-if-new", "--port", "8765"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765" in out and "no user accounts yet" in out
    argv = calls[0]
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("safeloop_asgi.py")
    assert argv[argv.index("--server.port") + 1] == "8765"
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert _count(User) == 0
