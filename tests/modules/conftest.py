"""A migrated database holding the demo organisation (no module data), built once per test
module, and a way to run one module's demo generator into it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

from core.db import make_engine
from core.demo import DEMO_SEED, load
from core.demogen import generate_all
from core.rbac import seed_permissions
from core.reference import load_all

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory):
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        seed_permissions(session)
        load_all(session)
        load(session, today=TODAY, modules=set())
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def demo_session(demo_engine) -> Iterator[Session]:
    """A session whose writes are rolled back after the test."""
    connection = demo_engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


RunGenerator = Callable[..., dict[str, int]]


@pytest.fixture
def run_generator(demo_session: Session) -> RunGenerator:
    """``run_generator("hazard", scale="S")`` → rows written per table."""

    def _run(*names: str, scale: str = "S", seed: int = DEMO_SEED) -> dict[str, int]:
        return generate_all(
            demo_session,
            seed=seed,
            scale=scale,
            today=TODAY,
            progress=lambda _f, _m: None,
            only=set(names),
        )

    return _run
