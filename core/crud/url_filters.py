"""List filters carried in the page's URL, so a cockpit tile can open the rows behind it.

Syntax: one query parameter per field, ``f.<field>=<value>``, all of them applying together:

=====================  ===========================================  ==========================
field kind             value                                        example
=====================  ===========================================  ==========================
choice (enum)          one or more names or values, comma-separated ``f.state=NEW,CONFIRMED``
link (foreign key)     one or more row ids, comma-separated         ``f.department_id=3,4``
yes / no               ``1`` ``0`` ``true`` ``false`` ``yes`` ``no`` ``f.anonymous=0``
date, date-time        ``from..to``, ``from..``, ``..to`` or a day  ``f.found_at=2026-11-01..``
number                 a number or ``low..high``                    ``f.quantity=..5``
=====================  ===========================================  ==========================

Date-time fields are stored in UTC and read as the site's local days (``Settings.timezone``),
as the cockpit counts them. A table may also declare presets (``TableSpec.presets``),
``f.<preset>=1``: the hazard list's ``f.overdue=1`` is ``core.hazard.overdue`` spelled as field
filters, the supply list's ``f.attention=1`` (expired or below minimum stock) a SQL condition.

:func:`parse` turns the parameters into the very ``filters`` dict the list's own filter
widgets produce, so they run through ``service.filtered`` with the actor's scope like any
filter; a parameter it cannot use (unknown field, text field, bad value) is returned in
``ignored`` for the page to say so, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.crud.fields import BOOL, CHOICE, DATE, DATETIME, FK, FLOAT, INT, FieldSpec
from core.crud.registry import Preset, get_spec
from core.local_time import utc_midnight
from core.rbac import Actor, mine_clause

PREFIX = "f."
RANGE = ".."
TRUE, FALSE = frozenset({"1", "true", "yes"}), frozenset({"0", "false", "no"})
#: What a contradiction (``state`` both NEW and only CLOSED) narrows to: no row has id 0.
NOTHING = ("id", 0)


@dataclass
class UrlFilters:
    """``filters`` for ``ListQuery``; ``applied`` (field or preset, value) in URL order for
    the caption (local days for date-times); ``ignored`` the ``f.name=value`` parameters that
    were left out."""

    filters: dict[str, Any] = field(default_factory=dict)
    where: list[Any] = field(default_factory=list)  # presets' SQL conditions
    applied: list[tuple[FieldSpec | Preset, Any]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def fields(self) -> set[str]:
        """The fields the URL fixes (their own filter widgets step aside)."""
        return {f.name for f, _ in self.applied if isinstance(f, FieldSpec)}

    def __bool__(self) -> bool:
        return bool(self.applied or self.ignored)


def params(filters: Mapping[str, Any]) -> dict[str, str]:
    """The query parameters for ``{"state": ["NEW"], "found_at": (start, end)}`` — the
    inverse of :func:`parse`, for building links."""
    out: dict[str, str] = {}
    for name, value in filters.items():
        if isinstance(value, tuple):
            low, high = value
            text = f"{'' if low is None else low}{RANGE}{'' if high is None else high}"
        elif isinstance(value, list | set | frozenset):
            text = ",".join(str(getattr(v, "name", v)) for v in value)
        elif isinstance(value, bool):
            text = "1" if value else "0"
        else:
            text = str(getattr(value, "name", value))
        out[f"{PREFIX}{name}"] = text
    return out


def parse(
    table: str,
    specs: Iterable[FieldSpec],
    query: Mapping[str, str],
    *,
    today: date,
    zone: str,
    actor: Actor | None = None,
) -> UrlFilters:
    """The ``f.*`` parameters of ``query`` as list filters of ``table`` (see the module).

    Every table with person columns also takes ``f.mine=1``: the rows about the viewer or
    assigned to them (the home page's "Mine" links)."""
    by_name = {f.name: f for f in specs}
    spec = get_spec(table)
    presets = dict(spec.presets)
    if actor is not None and spec.scope.people and "mine" not in presets:
        presets["mine"] = Preset(
            "crud.preset.mine", where=lambda _today: mine_clause(spec.model, spec.scope, actor)
        )
    out = UrlFilters()
    for key, raw in query.items():
        if not key.startswith(PREFIX):
            continue
        name, text = key.removeprefix(PREFIX), str(raw).strip()
        f = by_name.get(name)
        if f is not None:
            value = _value(f, text)
            if value is not None:
                out.applied.append((f, value))
                _narrow(
                    out.filters, f.name, _instants(value, zone) if f.kind == DATETIME else value
                )
                continue
        elif name in presets and text.lower() in TRUE:
            preset = presets[name]
            out.applied.append((preset, True))
            for column, value in preset.filters(today).items():
                _narrow(out.filters, column, value)
            if preset.where is not None:
                out.where.append(preset.where(today))
            continue
        out.ignored.append(f"{key}={text}")
    return out


def narrow(filters: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``filters`` further narrowed by ``extra`` (the widgets' picks): both must hold."""
    merged = dict(filters)
    for name, value in extra.items():
        if value not in (None, "", [], ()):
            _narrow(merged, name, value)
    return merged


def _narrow(filters: dict[str, Any], name: str, value: Any) -> None:
    """Add ``name = value`` to ``filters``, intersecting with what is there already."""
    if name not in filters or filters[name] in (None, "", [], ()):
        filters[name] = value
        return
    old = filters[name]
    if isinstance(old, list) and isinstance(value, list):
        both = [v for v in old if v in value]
        if both:
            filters[name] = both
            return
    elif isinstance(old, tuple) and isinstance(value, tuple):
        lows = [v for v in (old[0], value[0]) if v is not None]
        highs = [v for v in (old[1], value[1]) if v is not None]
        filters[name] = (max(lows) if lows else None, min(highs) if highs else None)
        return
    elif isinstance(old, list) and value in old:
        filters[name] = value
        return
    elif old == value:
        return
    filters[NOTHING[0]] = NOTHING[1]


def _value(f: FieldSpec, text: str) -> Any:
    """The filter value for one field (local days for a date-time), or None where the text
    does not fit it."""
    if not text:
        return None
    try:
        if f.kind == CHOICE:
            return _choices(f, text)
        if f.kind == FK:
            return [int(v) for v in _split(text)] or None
        if f.kind == BOOL:
            low = text.lower()
            return True if low in TRUE else False if low in FALSE else None
        if f.kind in (DATE, DATETIME):
            return _range(text, date.fromisoformat)
        if f.kind in (INT, FLOAT):
            number = int if f.kind == INT else float
            return _range(text, number) if RANGE in text else number(text)
    except ValueError:
        return None
    return None  # text, long text, tags, JSON: nothing a link needs to filter on


def _split(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _choices(f: FieldSpec, text: str) -> list[str] | None:
    """Choice values from names or values in any case (``NEW`` or ``new``)."""
    known = {c.lower(): c for c in f.choices}
    picked = [known.get(v.lower()) for v in _split(text)]
    if not picked or None in picked:
        return None
    return list(dict.fromkeys(p for p in picked if p is not None))


def _range(text: str, read: Callable[[str], Any]) -> tuple[Any, Any] | None:
    if RANGE not in text:
        one = read(text)
        return (one, one)
    low_text, high_text = text.split(RANGE, 1)
    low = read(low_text.strip()) if low_text.strip() else None
    high = read(high_text.strip()) if high_text.strip() else None
    if low is None and high is None:
        return None
    if low is not None and high is not None and high < low:
        return None
    return (low, high)


def _instants(days: tuple[date | None, date | None], zone: str) -> tuple[Any, Any]:
    """Local days as UTC bounds for ``col >= low`` and ``col <= high`` (inclusive)."""
    low, high = days
    start: datetime | None = utc_midnight(low, zone) if low is not None else None
    end: datetime | None = None
    if high is not None:
        end = utc_midnight(high + timedelta(days=1), zone) - timedelta(microseconds=1)
    return (start, end)
