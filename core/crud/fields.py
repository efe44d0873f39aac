"""Field declarations, mostly inferred from the SQLModel column so a table spec stays short."""

from __future__ import annotations

import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import annotated_types
from sqlmodel import SQLModel

from core.i18n import t

TEXT, TEXTAREA, INT, FLOAT, BOOL = "text", "textarea", "int", "float", "bool"
DATE, DATETIME, CHOICE, MULTICHOICE, FK, JSON, TAGS = (
    "date",
    "datetime",
    "choice",
    "multichoice",
    "fk",
    "json",
    "tags",
)


@dataclass(frozen=True)
class FieldSpec:
    """One field as users meet it: in forms, lists, filters, imports and exports."""

    name: str
    kind: str = TEXT
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    choice_prefix: str = ""
    fk: str | None = None
    max_length: int | None = None
    min: float | None = None
    max: float | None = None
    unique: bool = False
    in_list: bool = True
    in_form: bool = True
    in_io: bool = True
    filter: bool = False
    custom: bool = False
    masked: bool = False  # a URI whose password is shown as *** wherever the value is shown
    #: The module action (e.g. ``Action.EDIT``) without which the column is not shown at all:
    #: not in lists, details, exports, searches, the history nor the SQL console (an exam's
    #: answer key, read by its editors only); see ``core.crud.readers``
    read_action: str | None = None
    #: (user column, password column) a URI's credentials are kept in, apart from the URI
    credentials: tuple[str, str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: Other headers an import takes for this column (users' own lists word it their way)
    aliases: tuple[str, ...] = ()
    #: A boolean's model default: a new row's form starts ticked when it is True, and an
    #: import without the column (or with a blank cell) takes it (``service.prepare``)
    default: bool | None = None

    def label_in(self, lang: str) -> str:
        if self.labels:
            return self.labels.get(lang) or next(iter(self.labels.values()))
        return t(self.label or f"field.{self.name}", lang)

    def choice_label(self, code: str, lang: str) -> str:
        return t(f"{self.choice_prefix}.{code}", lang) if self.choice_prefix else str(code)

    @property
    def label_key(self) -> str:
        return self.label or f"field.{self.name}"


#: Options of a column computed on save: shown, never typed in.
COMPUTED: dict[str, Any] = {"in_form": False}
#: Options of a column the save hook fills (scope, computed flags): filterable, never typed in.
DERIVED: dict[str, Any] = {"in_form": False, "in_io": False, "filter": True}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional?) for ``X | None`` annotations."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], True
    return annotation, False


def infer(model: type[SQLModel], name: str, **overrides: Any) -> FieldSpec:
    """Build a FieldSpec from the model's annotation, default, constraints and foreign key."""
    info = model.model_fields[name]
    inner, optional = _unwrap(info.annotation)
    spec: dict[str, Any] = {"name": name}
    fk = getattr(info, "foreign_key", None)
    if isinstance(fk, str):
        spec.update(kind=FK, fk=fk.split(".")[0])
    elif isinstance(inner, type) and issubclass(inner, StrEnum):
        spec.update(
            kind=CHOICE,
            choices=tuple(m.value for m in inner),
            choice_prefix=f"enum.{inner.__name__}",
        )
    elif inner is bool:
        spec.update(kind=BOOL, default=info.default is True)
    elif inner is int:
        spec["kind"] = INT
    elif inner is float:
        spec["kind"] = FLOAT
    elif inner is date:
        spec["kind"] = DATE
    elif inner is datetime:
        spec["kind"] = DATETIME
    elif typing.get_origin(inner) in (list, dict) or inner in (list, dict):
        spec["kind"] = JSON
    for meta in info.metadata:
        if isinstance(meta, annotated_types.MaxLen):
            spec["max_length"] = meta.max_length
        elif isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            spec["min"] = getattr(meta, "ge", None) if hasattr(meta, "ge") else meta.gt
        elif isinstance(meta, annotated_types.Le | annotated_types.Lt):
            spec["max"] = getattr(meta, "le", None) if hasattr(meta, "le") else meta.lt
    spec["required"] = info.is_required() and not optional
    spec["unique"] = bool(getattr(info, "unique", False) is True)
    return FieldSpec(**{**spec, **overrides})


def fields(
    model: type[SQLModel],
    *names: str,
    label_keys: Mapping[str, str] | None = None,
    **overrides: dict[str, Any],
) -> tuple[FieldSpec, ...]:
    """Infer several fields at once; ``overrides={"name": {...}}`` adjusts single ones and
    ``label_keys`` gives a module's own label keys for columns whose shared label differs."""
    keys = label_keys or {}
    return tuple(
        infer(model, n, **{**({"label": keys[n]} if n in keys else {}), **overrides.get(n, {})})
        for n in names
    )


def module_fields(
    model: type[SQLModel],
    *names: str,
    prefix: str,
    shared: Collection[str] = (),
    own: Collection[str] | None = None,
    **overrides: dict[str, Any],
) -> tuple[FieldSpec, ...]:
    """A module's fields: columns outside ``shared`` (whose project-wide wording fits), or
    only those in ``own`` where a module lists the columns it words itself, are labelled
    ``field.<prefix>.<column>``, so one module's 状态 or 编号 never reads like another's; an
    override that names its own label wins."""
    keys = {
        n: f"field.{prefix}.{n}"
        for n in names
        if (n in own if own is not None else n not in shared)
    }
    return fields(model, *names, label_keys=keys, **overrides)


def with_changes(spec: FieldSpec, **changes: Any) -> FieldSpec:
    return replace(spec, **changes)
