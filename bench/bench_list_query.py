"""How long does the person list take to answer a click, with 100,000 people in SQLite?

Builds (or reuses) a SQLite file under /tmp with the test organisation plus ``--rows`` people
inserted in bulk, then times ``core.crud.service.list_rows`` for the queries a list page sends:
a filter + sort + page of 50 (count included), a search, a department-scoped inspector, and a
deep page (page 1000). Each query runs ``--reps`` times in a fresh session; prints median and
p95 in milliseconds.

    .venv/bin/python bench/bench_list_query.py [--rows 100000] [--reps 60] [--rebuild]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

import models  # noqa: F401  (registers every table)
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ListQuery
from core.db import make_engine, utcnow
from core.rbac import Actor, grants_for, seed_permissions
from models.enums import Role, Scope
from models.org import Department, Person
from tests import factories

DEFAULT_DB = Path("/tmp/safeloop-bench/list-{rows}.db")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
    "肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华飞鹏玲辉建国志红"
EXTRA_DEPARTMENTS = (
    "装配车间",
    "喷涂车间",
    "质检部",
    "仓储部",
    "设备部",
    "安环部",
    "动力车间",
    "包装车间",
)


def build(engine: Engine, rows: int, seed: int = 7) -> None:
    """The test organisation, eight more departments, then ``rows`` people in bulk."""
    SQLModel.metadata.create_all(engine)
    rng = random.Random(seed)
    with Session(engine) as s:
        seed_permissions(s)
        org = factories.build_org(s)
        for name in EXTRA_DEPARTMENTS:
            factories.department(s, org.ent1, name)
        s.commit()
        depts = s.exec(select(Department.id, Department.enterprise_id)).all()
        now, start = utcnow(), date(2000, 1, 1)
        batch: list[dict[str, Any]] = []
        for i in range(rows):
            dept_id, ent_id = rng.choice(depts)
            batch.append(
                {
                    "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                    "employee_no": f"P{i:07d}",
                    "enterprise_id": ent_id,
                    "department_id": dept_id,
                    "gender": rng.choice(("male", "female")),
                    "phone": f"13{rng.randrange(10**9):09d}",
                    "hired_on": start + timedelta(days=rng.randrange(9000)),
                    "status": "left" if rng.random() < 0.2 else "active",
                    "created_at": now,
                    "updated_at": now,
                    "extra": {},
                }
            )
            if len(batch) == 10_000:
                s.execute(insert(Person), batch)
                batch = []
        if batch:
            s.execute(insert(Person), batch)
        s.commit()
        s.exec(select(func.count()).select_from(Person)).one()
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def database(path: Path, rows: int, rebuild: bool) -> Engine:
    """Reuse the file when it already holds the wanted number of people."""
    if rebuild and path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    if path.exists():
        with Session(engine) as s:
            try:
                have = s.exec(select(func.count()).select_from(Person)).one()
            except Exception:
                have = -1
        if have >= rows:
            print(f"reusing {path} ({have:,} people)")
            return engine
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    build(engine, rows)
    print(f"built {path} with {rows:,} people in {time.perf_counter() - started:.1f} s")
    return engine


def actors(engine: Engine) -> dict[str, Actor]:
    with Session(engine) as s:
        dept_a = s.exec(select(Department).where(Department.name == "机修车间")).one()

        def actor(role: Role, scope: Scope, **where: Any) -> Actor:
            roles = frozenset({role.value})
            return Actor(
                user_id=None,
                username=role.value,
                roles=roles,
                scope=scope,
                grants=grants_for(s, roles),
                **where,
            )

        return {
            "admin": actor(Role.ADMIN, Scope.ALL),
            "inspector": actor(
                Role.INSPECTOR,
                Scope.DEPARTMENT,
                enterprise_id=dept_a.enterprise_id,
                department_id=dept_a.id,
            ),
            "safety_head": actor(
                Role.SAFETY_HEAD, Scope.ENTERPRISE, enterprise_id=dept_a.enterprise_id
            ),
        }


def timed(
    engine: Engine, reps: int, call: Callable[[Session], service.Page]
) -> tuple[list[float], int]:
    times, total = [], 0
    for _ in range(reps):
        with Session(engine) as s:
            started = time.perf_counter()
            page = call(s)
            times.append((time.perf_counter() - started) * 1000)
            total = page.total
            assert len(page.rows) <= page.page_size
    return times, total


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default under /tmp)")
    parser.add_argument("--rebuild", action="store_true", help="build the file again")
    args = parser.parse_args(argv)
    path = args.db or Path(str(DEFAULT_DB).format(rows=args.rows))
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = database(path, args.rows, args.rebuild)
    who = actors(engine)
    spec = get_spec("person")
    active = {"status": "active"}
    queries: list[tuple[str, Actor, ListQuery]] = [
        (
            "admin: status filter, sort hired_on desc, page 1",
            who["admin"],
            ListQuery(filters=active, sort="hired_on", descending=True),
        ),
        ("admin: default list (sort by name), page 1", who["admin"], ListQuery()),
        (
            "admin: search '王' + status filter, page 1",
            who["admin"],
            ListQuery(search="王", filters=active),
        ),
        (
            "admin: hired_on range + gender list, sort name",
            who["admin"],
            ListQuery(
                filters={"hired_on": (date(2010, 1, 1), date(2012, 12, 31)), "gender": ["female"]},
                sort="name",
            ),
        ),
        (
            "safety head (enterprise): status filter, sort hired_on desc",
            who["safety_head"],
            ListQuery(filters=active, sort="hired_on", descending=True),
        ),
        (
            "inspector (department): status filter, sort name",
            who["inspector"],
            ListQuery(filters=active, sort="name"),
        ),
        (
            "admin: status filter, sort hired_on desc, page 1000",
            who["admin"],
            ListQuery(filters=active, sort="hired_on", descending=True, page=1000),
        ),
        ("admin: default list, page 1000", who["admin"], ListQuery(page=1000)),
    ]
    print(
        f"\nlist_rows on {args.rows:,} people, page size 50, {args.reps} runs each "
        "(fresh session per run, count included)\n"
    )
    print(f"{'query':62} {'rows':>8} {'median ms':>10} {'p95 ms':>8}")
    for label, actor, q in queries:
        timed(engine, 3, lambda s, a=actor, q=q: service.list_rows(s, spec, a, q))  # warm-up
        times, total = timed(
            engine, args.reps, lambda s, a=actor, q=q: service.list_rows(s, spec, a, q)
        )
        print(f"{label:62} {total:>8,} {statistics.median(times):>10.1f} {p95(times):>8.1f}")
    engine.dispose()


if __name__ == "__main__":
    main()
