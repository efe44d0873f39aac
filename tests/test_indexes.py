"""Lists filter and join on these columns: each must be indexed, or a big table scans."""

from __future__ import annotations

import pytest

from core.crud.fields import FK
from core.crud.registry import TableSpec, all_specs


def _indexed(spec: TableSpec) -> set[str]:
    table = spec.model.__table__  # type: ignore[attr-defined]
    first = {next(iter(index.columns)).name for index in table.indexes}
    unique = {
        next(iter(c.columns)).name for c in table.constraints if hasattr(c, "columns") and c.columns
    }
    return first | unique | {c.name for c in table.primary_key.columns}


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_foreign_keys_and_filters_are_indexed(spec: TableSpec) -> None:
    wanted = {f.name for f in spec.fields if not f.custom and (f.kind == FK or f.filter)}
    missing = sorted(wanted - _indexed(spec))
    assert not missing, f"{spec.name}: add index=True to {missing}"
