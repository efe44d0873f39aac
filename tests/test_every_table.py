"""Every registered table, through the engine: create, read, update, delete, restore, and an
Excel export that imports into a second database and reproduces the rows.

New modules get these tests for free; a table whose generic sample values are not valid
declares ``TableSpec.example``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel

from core.crud import excel, present, service
from core.crud.custom import effective_fields
from core.crud.fields import (
    BOOL,
    CHOICE,
    DATE,
    DATETIME,
    FK,
    FLOAT,
    INT,
    JSON,
    MULTICHOICE,
    TAGS,
    FieldSpec,
)
from core.crud.lookup import visible
from core.crud.registry import TableSpec, all_specs, get_spec
from core.db import make_engine
from core.rbac import SYSTEM
from tests.demo_cache import copy_database
from tests.factories import build_org

SPECS = [s for s in all_specs() if s.allow_create]
TEXT_MARK = "样例"


def _sample(session: Session, spec: TableSpec, f: FieldSpec, n: int) -> Any:
    if f.name in spec.example:
        value = spec.example[f.name]
        return value.format(n=n) if isinstance(value, str) else value
    if f.kind == FK:
        return _existing(session, get_spec(f.fk or ""), n)
    samples = {
        INT: n,
        FLOAT: n + 0.5,
        BOOL: True,
        DATE: date(2026, 3, n % 28 + 1),
        DATETIME: f"2026-03-{n % 28 + 1:02d}T08:30:00+00:00",
        JSON: [],
        TAGS: ["甲", "乙"],
    }
    if f.kind in (CHOICE, MULTICHOICE):
        return f.choices[0] if f.kind == CHOICE else [f.choices[0]]
    if f.kind in samples:
        return samples[f.kind]
    text = f"{TEXT_MARK}{spec.name}{n}"
    return text[: f.max_length] if f.max_length else text


def _existing(session: Session, spec: TableSpec, n: int) -> int:
    """An id of ``spec``'s table, creating one sample row when the table is empty."""
    row = session.exec(visible(spec, SYSTEM)).first()
    return row.id if row is not None else _create(session, spec, n).id


def _raw(session: Session, spec: TableSpec, n: int) -> dict[str, Any]:
    fields = [f for f in effective_fields(session, spec) if f.in_form]
    return {f.name: _sample(session, spec, f, n) for f in fields}


def _create(session: Session, spec: TableSpec, n: int) -> SQLModel:
    return service.create_row(session, spec, SYSTEM, _raw(session, spec, n))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every table and the test organisation, built once; each test works on a copy."""
    path = tmp_path_factory.mktemp("every_table") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        build_org(session)
        session.commit()
    engine.dispose()
    return path


def _world(template: Path, path: Path) -> Session:
    copy_database(template, path)
    return Session(make_engine(f"sqlite:///{path}"), expire_on_commit=False)


@pytest.fixture
def world(template: Path, tmp_path: Path):
    session = _world(template, tmp_path / "one.db")
    yield session
    session.close()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_create_read_update_delete_restore(world: Session, spec: TableSpec) -> None:
    row = _create(world, spec, 7)
    assert service.get_row(world, spec, SYSTEM, row.id).id == row.id
    text = next(
        (
            f
            for f in spec.fields
            if f.kind == "text" and f.in_form and f.name not in spec.example and not f.unique
        ),
        None,
    )
    if text is not None:
        service.update_row(world, spec, SYSTEM, row.id, {text.name: "改过的值"})
        assert getattr(service.get_row(world, spec, SYSTEM, row.id), text.name) == "改过的值"
    service.soft_delete(world, spec, SYSTEM, row.id)
    listed = service.list_rows(world, spec, SYSTEM, service.ListQuery(page_size=1000))
    assert row.id not in {r.id for r in listed.rows}
    service.restore(world, spec, SYSTEM, row.id)
    actions = [e.action for e in service.history(world, spec, SYSTEM, row.id)]
    assert actions[-1] == "create" and "delete" in actions and actions[0] == "restore"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_excel_export_imports_into_another_database(
    world: Session, spec: TableSpec, template: Path, tmp_path: Path
) -> None:
    made = [_create(world, spec, n).id for n in (3, 4)]
    q = service.ListQuery(filters={"id": made}, page_size=10_000)
    data = excel.export(world, spec, SYSTEM, q, "xlsx", "zh-CN")
    other = _world(template, tmp_path / "two.db")
    for f in spec.fields:  # the same dependency rows, made the same way, so names resolve
        if f.kind == FK and f.in_form and f.in_io and f.name not in spec.example:
            _existing(other, get_spec(f.fk or ""), 3)
    report = excel.import_rows(other, spec, SYSTEM, data, "zh-CN")
    assert report.ok, report.errors[:5]
    assert report.created == len(made)
    specs = tuple(f for f in effective_fields(world, spec) if f.in_io and f.in_form)

    def shown(session: Session, rows: list[Any]) -> set[tuple[Any, ...]]:
        return {
            tuple(r[f.name] for f in specs)
            for r in present.table_rows(session, specs, rows, "zh-CN")
        }

    everything = service.ListQuery(page_size=10_000)
    mine = service.list_rows(world, spec, SYSTEM, q).rows
    theirs = service.list_rows(other, spec, SYSTEM, everything).rows
    assert len(mine) == len(made)
    assert shown(world, mine) <= shown(other, theirs)
    other.close()
