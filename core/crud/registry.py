"""Table declarations: each managed table registers one ``TableSpec``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, SQLModel

from core import audit, installed
from core.crud.fields import FieldSpec
from core.crud.secrets import mask_uri
from core.rbac import Actor, ScopeColumns


@dataclass(frozen=True)
class Preset:
    """A named list filter a table offers in the URL (``f.<name>=1``, e.g. the hazard list's
    ``f.overdue=1`` behind a cockpit tile), spelled as field filters on ``today`` or, where
    field filters (which all hold together) cannot say it, as a SQL condition."""

    label: str  # i18n key
    filters: Callable[[date], dict[str, Any]] = lambda today: {}
    where: Callable[[date], Any] | None = None


BeforeSave = Callable[[Session, dict[str, Any], Actor], None]
AfterCreate = Callable[[Session, Any, Actor], None]
#: Called before a soft delete (``True``) or a restore (``False``); raises to refuse.
BeforeDelete = Callable[[Session, Any, Actor, bool], None]


@dataclass(frozen=True)
class TableSpec:
    """Everything the generic list/detail/form/import/export pages need about one table.

    ``page`` is the thin page file that renders it; such tables join the navigation under
    their module's group (or ``nav_group``, an i18n key, e.g. for reference data).
    ``example`` holds raw input that makes a valid row where generic sample values would not
    (the round-trip tests use it; ``{n}`` in a text becomes a number, for unique fields).
    Workflow-bearing tables name their ``state_field`` (edits cannot change it: only the
    workflow can), an ``after_create`` hook that opens the history, and ``locked`` rows
    (finished records) that are archived read-only. ``presets`` are the named filters its
    list takes from the URL (``core.crud.url_filters``). ``secret`` columns (password hashes,
    lockout data, tokens) are no fields: they never reach a list, an export, the history or
    the SQL console; a field declared ``masked`` is shown with its URI's password hidden; a
    field with a ``read_action`` is shown only to those granted that action on ``module``.
    ``parent`` names the link field to the record a row belongs to (a permit's gas readings):
    such a register is opened from its parent record, filtered to it, never from the menu.
    """

    name: str
    model: type[SQLModel]
    module: str
    fields: tuple[FieldSpec, ...]
    search: tuple[str, ...] = ("name",)
    title_field: str = "name"
    default_sort: tuple[str, bool] = ("id", True)
    scope: ScopeColumns = field(default_factory=ScopeColumns)
    before_save: BeforeSave | None = None
    after_create: AfterCreate | None = None
    before_delete: BeforeDelete | None = None
    state_field: str | None = None
    locked: Callable[[Any], bool] | None = None
    allow_custom_fields: bool = True
    allow_create: bool = True
    page: str | None = None
    nav_group: str | None = None
    example: dict[str, Any] = field(default_factory=dict)
    presets: dict[str, Preset] = field(default_factory=dict)
    secret: tuple[str, ...] = ()
    #: Headers of users' files an import knowingly skips (a list's 序号, its measures)
    import_ignore: tuple[str, ...] = ()
    parent: str | None = None

    @property
    def label_key(self) -> str:
        return f"table.{self.name}"

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def masked(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.masked)

    @property
    def readers(self) -> dict[str, str]:
        """Column → the action on ``module`` needed to read it (``FieldSpec.read_action``)."""
        return {f.name: f.read_action for f in self.fields if f.read_action}


_REGISTRY: dict[str, TableSpec] = {}


def register(spec: TableSpec) -> TableSpec:
    """Add a table; registering the same name twice, or a secret column as a field, is a
    programming error. The audit trail learns the table's secrets here."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"table spec {spec.name!r} registered twice")
    if shown := set(spec.secret) & {f.name for f in spec.fields}:
        raise ValueError(f"table spec {spec.name!r} shows its secret columns {sorted(shown)}")
    if spec.parent is not None and spec.field(spec.parent).fk is None:
        raise ValueError(f"table spec {spec.name!r}: parent {spec.parent!r} is not a link")
    _REGISTRY[spec.name] = spec
    table = spec.model.__tablename__  # type: ignore[attr-defined]
    audit.declare_secrets(table, spec.secret, dict.fromkeys(spec.masked, mask_uri))
    audit.declare_readers(spec.name, spec.module, spec.readers)
    return spec


def get_spec(name: str) -> TableSpec:
    installed.load()
    return _REGISTRY[name]


def all_specs() -> list[TableSpec]:
    installed.load()
    return list(_REGISTRY.values())


def children_of(table: str) -> list[TableSpec]:
    """The registers whose rows belong to a record of ``table`` (its detail links to them)."""
    return [s for s in all_specs() if s.parent and s.field(s.parent).fk == table]


#: What another domain does when rows of a table are saved through the engine (a form, an
#: edit, an Excel import): called with the saved rows in the writer's transaction, so the
#: table's owner never imports the domains that react (training assigns a person who joins a
#: targeted post). Direct SQL and the demo's bulk rows do not call it.
Saved = Callable[[Session, Sequence[Any], Actor], None]
_SAVED: dict[str, list[Saved]] = {}


def on_saved(table: str, listener: Saved) -> Saved:
    """Have ``listener`` called after rows of ``table`` are created or updated."""
    bucket = _SAVED.setdefault(table, [])
    if listener not in bucket:
        bucket.append(listener)
    return listener


def listens(table: str) -> bool:
    installed.load()
    return bool(_SAVED.get(table))


def saved(session: Session, table: str, rows: Sequence[Any], actor: Actor) -> None:
    """Tell the listeners of ``table`` that ``rows`` were created or updated."""
    installed.load()
    for listener in _SAVED.get(table, ()):
        listener(session, rows, actor)
