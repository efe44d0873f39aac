"""Fixtures of the detector tests: a migrated SQLite file and the sink tests' small plant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from core import db
from tests.detectors.sink_world import World, build


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sink.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def plant(sqlite_engine: Engine) -> World:
    return build(sqlite_engine)
