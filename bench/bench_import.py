"""How long does importing a 10,000-row person workbook take, and how much memory? And how
fast are a zip bomb and an oversized workbook refused?

Writes an .xlsx the way an office user fills the template (Chinese headers, enterprise and
department by name, choice labels, real Excel dates), then times ``import_rows`` (read,
validate every row, all-or-nothing bulk insert with one audit entry per row) plus the commit,
on a fresh SQLite file, for two versions side by side: the committed ``core/crud/excel.py``
(``git show HEAD:...``, which reads the whole sheet into a list first) and the working tree's
streaming one. A separate run of each on another fresh file measures peak Python memory with
tracemalloc (which slows it down, so it is not timed). Then the refusals: a 0.3 MB zip bomb
that unpacks to 2,000,000 rows, 2,000,000 distinct rows that compress like real data (the
row limit stops them) and a 54 MB workbook, with the default limits.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--runs 3] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

import models  # noqa: F401  (registers every table)
from core import audit
from core.crud import excel
from core.crud.excel import ImportReport
from core.crud.registry import get_spec
from core.db import make_engine
from core.rbac import SYSTEM, seed_permissions
from models.org import Person
from tests import factories
from tests.test_import_limits import DISTINCT_ROWS, with_sheet_xml, zip_bomb

HEADER = ["名称", "工号", "企业", "部门/车间", "岗位", "性别", "电话", "入职日期", "状态"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华飞鹏玲辉建国志红"


def workbook(rows: int, seed: int = 11) -> bytes:
    """A filled-in template: names in enterprise 1's two workshops, labels not codes."""
    rng = random.Random(seed)
    wb = Workbook()  # not write_only: like Excel, it writes shared strings and the sheet size
    ws = wb.active
    ws.title = "人员"
    ws.append(HEADER)
    start = datetime(2005, 1, 1)
    for i in range(rows):
        dept, post = rng.choice((("机修车间", "电焊工"), ("铸造车间", "浇注工")))
        ws.append(
            [
                rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                f"B{i:06d}",
                "苏州精工机械有限公司",
                dept,
                post,
                rng.choice(("男", "女")),
                f"13{rng.randrange(10**9):09d}",
                start + timedelta(days=rng.randrange(7000)),
                "在职" if rng.random() < 0.9 else "离职",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@contextmanager
def fresh_database(url: str | None) -> Iterator[Engine]:
    """An empty database with the test organisation (SQLite temp file unless ``url``)."""
    with tempfile.TemporaryDirectory(prefix="safeloop-import-") as tmp:
        engine = make_engine(url or f"sqlite:///{tmp}/bench.db")
        SQLModel.metadata.drop_all(engine)
        SQLModel.metadata.create_all(engine)
        with Session(engine) as s:
            seed_permissions(s)
            factories.build_org(s)
            s.commit()
        try:
            yield engine
        finally:
            if url:
                SQLModel.metadata.drop_all(engine)
            engine.dispose()


def run_import(
    engine: Engine, data: bytes, module: Any = excel
) -> tuple[ImportReport, float, float]:
    """(report, seconds in import_rows, seconds to commit)."""
    with Session(engine) as s:
        started = time.perf_counter()
        report = module.import_rows(
            s, get_spec("person"), SYSTEM, data, "zh-CN", filename="bench.xlsx"
        )
        imported = time.perf_counter()
        s.commit()
        return report, imported - started, time.perf_counter() - imported


def committed_excel() -> Any:
    """``core/crud/excel.py`` as committed (HEAD), loaded as a module beside the current one."""
    root = Path(__file__).resolve().parent.parent
    git = ["git", "show", "HEAD:core/crud/excel.py"]
    source = subprocess.run(git, cwd=root, capture_output=True, text=True, check=True).stdout
    module = sys.modules["excel_at_head"] = types.ModuleType("excel_at_head")
    exec(compile(source, "HEAD:core/crud/excel.py", "exec"), module.__dict__)
    return module


def check(engine: Engine, report: ImportReport, rows: int) -> None:
    assert report.ok, report.errors[:5]
    assert report.created == rows, report
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Person)).one() >= rows
        assert audit.verify(s).ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs (fresh database each)")
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use a throw-away database on the test PostgreSQL server",
    )
    args = parser.parse_args(argv)
    if args.postgres:
        from tests.pg import temp_pg_database

        with temp_pg_database() as url:
            args.url, args.postgres = url, False
            return measure(args)
    return measure(args)


def measure(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    data = workbook(args.rows)
    print(
        f"workbook: {args.rows:,} rows, {len(data) / 1e6:.2f} MB, "
        f"written in {time.perf_counter() - started:.2f} s"
    )
    backend = "SQLite temp file" if not args.url else args.url.split("://")[0]
    versions = {
        "before (HEAD: whole sheet in a list)": committed_excel(),
        "after (streaming)": excel,
    }
    results = {}
    for name, module in versions.items():
        totals = []
        for n in range(1, args.runs + 1):
            with fresh_database(args.url) as engine:
                report, seconds, commit = run_import(engine, data, module)
                check(engine, report, args.rows)
            totals.append(seconds + commit)
            print(f"{name} run {n}: {seconds:.2f} s + commit {commit:.2f} s")
        with fresh_database(args.url) as engine:
            tracemalloc.start()
            report, _, _ = run_import(engine, data, module)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            check(engine, report, args.rows)
        results[name] = (statistics.median(totals), peak)

    print(f"\n{args.rows:,}-row person import on {backend}, median of {args.runs}:")
    for name, (median, peak) in results.items():
        print(f"  {name:40s} {median:6.2f} s  peak Python allocations {peak / 2**20:5.0f} MiB")
    refusals()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak resident memory of this process (ru_maxrss): {maxrss_mb:.0f} MiB")


def refusals() -> None:
    """The files of issue 18 that used to run past 150 s, with the default limits."""
    bomb = zip_bomb(2_000_000)
    big = io.BytesIO(workbook(1000))
    with zipfile.ZipFile(big, "a", zipfile.ZIP_STORED) as zf:
        picture = random.Random(1).randbytes(54_000_000 - len(big.getvalue()))
        zf.writestr("xl/media/image1.png", picture)
    distinct = with_sheet_xml(DISTINCT_ROWS, 2000)  # compresses ~20-fold: passes the ratio
    print()
    for name, payload in (
        ("zip bomb (2,000,000 rows)", bomb),
        ("2,000,000 distinct rows", distinct),
        ("54 MB workbook", big.getvalue()),
    ):
        with fresh_database(None) as engine, Session(engine) as s:
            started = time.perf_counter()
            report = excel.import_rows(s, get_spec("person"), SYSTEM, payload, "en")
            seconds = time.perf_counter() - started
        message = report.errors[0].message
        print(f"{name}, {len(payload) / 1e6:.1f} MB: refused in {seconds:.2f} s: {message}")


if __name__ == "__main__":
    main()
