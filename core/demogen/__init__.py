"""Module demo data at three scales, generated after the demo organisation exists.

An installed domain's generator is the module named after it (``core/demogen/hazard.py``)
with ``generate(ctx: DemoContext) -> None``; they run in the order of
``core.installed.DOMAINS`` (dependencies first). The other modules here are their helpers. Data is
deterministic: every generator gets its own ``random.Random`` seeded from the demo seed and the
generator's name, so adding a module never changes another module's data. Rows go in through
``ctx.bulk`` (one multi-row INSERT per chunk), because scale L writes millions of rows.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, SQLModel, select

from core import installed
from core.db import utcnow
from models.accounts import User
from models.org import Area, Department, Enterprise, Park, Person, Post

Progress = Callable[[float, str], None]
SCALES: dict[str, int] = {"S": 1, "M": 10, "L": 100}
CHUNK = 5000
MAIN_ENTERPRISE_CODE = "91310115MA1H7HD01X"  # 华东重型机械: the plant whose figures S follows


@dataclass
class DemoContext:
    """What a generator needs: the session, its own RNG, the scale and the organisation."""

    session: Session
    rng: random.Random
    scale: str
    today: date
    progress: Progress
    park: Park
    enterprises: list[Enterprise]
    departments: list[Department]
    areas: list[Area]
    posts: list[Post]
    people: list[Person]
    users: list[User]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def factor(self) -> int:
        """Multiplier for transactional tables: S 1, M 10, L 100."""
        return SCALES[self.scale]

    @property
    def main(self) -> Enterprise:
        return next(e for e in self.enterprises if e.code == MAIN_ENTERPRISE_CODE)

    def departments_of(self, enterprise_id: int) -> list[Department]:
        return [d for d in self.departments if d.enterprise_id == enterprise_id]

    def areas_of(self, enterprise_id: int) -> list[Area]:
        return [a for a in self.areas if a.enterprise_id == enterprise_id]

    def people_of(self, enterprise_id: int) -> list[Person]:
        return [p for p in self.people if p.enterprise_id == enterprise_id]

    def moment(self, day: date, rng: random.Random | None = None) -> datetime:
        """A working-hours timestamp on ``day`` (UTC, aware)."""
        r = rng or self.rng
        return datetime.combine(day, time(r.randint(0, 9), r.randint(0, 59)), tzinfo=UTC)

    def days_back(self, years: int = 3) -> list[date]:
        """Every day of the last ``years`` years up to today, oldest first."""
        start = self.today - timedelta(days=365 * years)
        return [start + timedelta(days=i) for i in range((self.today - start).days + 1)]

    def bulk(self, model: type[SQLModel], rows: Iterable[dict[str, Any]]) -> list[int]:
        """Insert rows in chunks and return their ids in order; counts them per table.

        Ids are assigned here (the demo is the only writer while it runs), so the insert is a
        plain executemany: INSERT ... RETURNING on wide SQLite tables was several times slower.
        """
        now = utcnow()
        table = model.__table__  # type: ignore[attr-defined]
        defaults = {c.name for c in table.columns if c.name in ("created_at", "updated_at")}
        has_extra = "extra" in table.columns
        next_id = (self.session.exec(select(func.max(table.c.id))).one() or 0) + 1
        ids: list[int] = []
        chunk: list[dict[str, Any]] = []
        for row in rows:
            for key in defaults:
                row.setdefault(key, now)
            if has_extra:
                row.setdefault("extra", {})
            row["id"] = next_id
            ids.append(next_id)
            next_id += 1
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._insert(table, chunk)
                chunk = []
        if chunk:
            self._insert(table, chunk)
        if ids and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :top)"),
                {"top": ids[-1]},
            )
        self.counts[table.name] = self.counts.get(table.name, 0) + len(ids)
        return ids

    def _insert(self, table: Any, chunk: list[dict[str, Any]]) -> None:
        self.session.execute(insert(table), _uniform(chunk))


def _uniform(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with the same keys (missing ones None): one executemany, not one per shape."""
    keys = {k for row in chunk for k in row}
    return [row if len(row) == len(keys) else {**dict.fromkeys(keys), **row} for row in chunk]


def _generators() -> list[Any]:
    """The installed domains' generators, in the installed order."""
    names = [f"{__name__}.{domain}" for domain in installed.DOMAINS]
    return [importlib.import_module(n) for n in names if importlib.util.find_spec(n)]


def generate_all(
    session: Session,
    *,
    seed: int,
    scale: str,
    today: date,
    progress: Progress,
    only: set[str] | None = None,
) -> dict[str, int]:
    """Run the module generators in order (all, or those named in ``only``); returns rows
    written per table."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    org = {
        "park": session.exec(select(Park).order_by(Park.id)).first(),
        "enterprises": list(session.exec(select(Enterprise).order_by(Enterprise.id))),
        "departments": list(session.exec(select(Department).order_by(Department.id))),
        "areas": list(session.exec(select(Area).order_by(Area.id))),
        "posts": list(session.exec(select(Post).order_by(Post.id))),
        "people": list(session.exec(select(Person).order_by(Person.id))),
        "users": list(session.exec(select(User).order_by(User.id))),
    }
    counts: dict[str, int] = {}
    generators = [m for m in _generators() if only is None or m.__name__.rsplit(".", 1)[-1] in only]
    for i, module in enumerate(generators):
        name = module.__name__.rsplit(".", 1)[-1]
        progress(i / max(1, len(generators)), f"demo {scale}: {name}")
        ctx = DemoContext(
            session=session,
            rng=random.Random(f"{seed}:{name}"),
            scale=scale,
            today=today,
            progress=progress,
            **org,
        )
        module.generate(ctx)
        for table, n in ctx.counts.items():
            counts[table] = counts.get(table, 0) + n
    progress(1.0, f"demo {scale}: done")
    return counts
