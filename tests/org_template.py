"""A SQLite file with the shared organisation (and whatever a test module adds) built once per
module, and a fresh copy of it per test: the tables of every model, no migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session, SQLModel

from core.db import make_engine
from tests.demo_cache import copy_database
from tests.factories import Org, build_org


def build_template(folder: Path, fill: Callable[[Session], None]) -> tuple[Path, Org]:
    """``folder/template.db`` with the organisation and ``fill``'s rows."""
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        org = build_org(session)
        fill(session)
        session.commit()
    engine.dispose()
    return path, org


@contextmanager
def copied_session(template: Path, copy: Path) -> Iterator[Session]:
    """A session on a fresh copy of ``template`` (objects stay readable after a commit)."""
    copy_database(template, copy)
    engine = make_engine(f"sqlite:///{copy}")
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        engine.dispose()
