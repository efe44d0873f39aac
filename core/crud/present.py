"""Rows as people read them: choice labels, names instead of ids, dates as text.

Shared by the list page, the detail view and the exports so all three say the same thing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core.clock import shown
from core.crud.custom import read
from core.crud.fields import BOOL, CHOICE, FK, JSON, MULTICHOICE, TAGS, FieldSpec
from core.crud.lookup import titles
from core.crud.secrets import mask_uri
from core.i18n import readable, t


def fk_names(
    session: Session, specs: tuple[FieldSpec, ...], rows: list[Any], lang: str | None = None
) -> dict[str, dict[int, str]]:
    """For each foreign-key field, id → display name in ``lang`` for the ids on these rows
    (one query each)."""
    names: dict[str, dict[int, str]] = {}
    for f in specs:
        if f.kind == FK:
            ids = {v for row in rows if (v := read(row, f)) is not None}
            names[f.name] = titles(session, f.fk or "", ids, lang=lang)
    return names


def show(
    f: FieldSpec, value: Any, lang: str, names: dict[str, dict[int, str]], *, as_json: bool = False
) -> Any:
    """One value for display; numbers stay numbers so grids sort them properly. A JSON value
    reads as text (``label: value``), or stays JSON with ``as_json`` (files read back in)."""
    if value is None:
        return None
    if f.masked:
        return mask_uri(value)
    if f.kind == FK:
        return names.get(f.name, {}).get(value, f"#{value}")
    if f.kind == CHOICE:
        return f.choice_label(str(getattr(value, "value", value)), lang)
    if f.kind == MULTICHOICE:
        return "、".join(f.choice_label(str(v), lang) for v in value)
    if f.kind == TAGS:
        return "、".join(str(v) for v in value)
    if f.kind == BOOL:
        return t("common.yes" if value else "common.no", lang)
    if f.kind == JSON:
        return json.dumps(value, ensure_ascii=False) if as_json else readable(value, lang)
    if isinstance(value, datetime):
        return shown(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def table_rows(
    session: Session,
    specs: tuple[FieldSpec, ...],
    rows: list[Any],
    lang: str,
    *,
    as_json: bool = False,
) -> list[dict[str, Any]]:
    """Rows keyed by field name, display-formatted, plus ``id`` (JSON values as JSON with
    ``as_json``, for exports that import reads back)."""
    names = fk_names(session, specs, rows, lang)
    return [
        {
            "id": row.id,
            **{f.name: show(f, read(row, f), lang, names, as_json=as_json) for f in specs},
        }
        for row in rows
    ]
