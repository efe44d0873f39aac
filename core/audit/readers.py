"""Read-time masking of columns that only some people may read (an exam's answer key).

The chain stores such values as they were written: they are hashed, so hiding them must not
change them. Whoever shows an entry asks :func:`readable_values` with the reader; the table
declarations (``core.crud.registry``, above this layer) say which columns need which action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.rbac import Actor

#: What a hidden value reads as where no translated text is given.
HIDDEN = "•••"
#: Per table: (module, column → action needed on that module to read it).
_READERS: dict[str, tuple[str, dict[str, str]]] = {}


def declare_readers(table: str, module: str, readers: Mapping[str, str]) -> None:
    """Called by the table declarations for each table (an empty ``readers`` clears it)."""
    if readers:
        _READERS[table] = (str(module), dict(readers))
    else:
        _READERS.pop(table, None)


def hidden_from(table: str | None, actor: Actor) -> frozenset[str]:
    """The columns of ``table`` whose values ``actor`` may not read in its entries."""
    module, readers = _READERS.get(table or "", ("", {}))
    return frozenset(c for c, action in readers.items() if not actor.can(module, action))


def readable_values(
    table: str | None, values: Mapping[str, Any] | None, actor: Actor, placeholder: str
) -> dict[str, Any] | None:
    """An entry's ``before``/``after``/``detail`` as ``actor`` may read it: the values of the
    columns they may not read replaced by ``placeholder`` (the key stays: a change happened)."""
    if values is None:
        return None
    hidden = hidden_from(table, actor)
    return {k: placeholder if k in hidden else v for k, v in values.items()}
