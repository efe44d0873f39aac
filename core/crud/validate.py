"""Turn raw input (form widgets, Excel cells, CLI text) into typed values, or say why not.

Validators return problems as catalogue keys, so the same check reads well in a form, in an
import report and in a test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.clock import site_zone
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
from core.i18n import LANGUAGES, t_keys

_TRUE = {"true", "1", "yes", "y", "是", "√", "✓", "x"}
_FALSE = {"false", "0", "no", "n", "否", ""}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class Problem:
    """A validation message: catalogue key plus parameters, attached to one field."""

    field: str
    key: str
    params: dict[str, Any]

    def message(self, lang: str) -> str:
        return t_keys(self.key, lang, self.params)


class Invalid(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _choice(f: FieldSpec, raw: Any) -> str:
    text = str(raw.value if hasattr(raw, "value") else raw).strip()
    if text in f.choices:
        return text
    for code in f.choices:
        if any(text == f.choice_label(code, lang) for lang in LANGUAGES):
            return code
    options = "、".join(f.choice_label(c, "zh-CN") for c in f.choices)
    raise Invalid("validation.bad_choice", value=text, options=options)


def _date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Invalid("validation.not_date", value=text)


def _number(f: FieldSpec, raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise Invalid("validation.not_number", value=raw)
    try:
        value = float(str(raw).strip().replace(",", "")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise Invalid("validation.not_number", value=raw) from None
    if f.kind == INT:
        if not value.is_integer():
            raise Invalid("validation.not_integer", value=raw)
        value = int(value)
    if f.min is not None and value < f.min:
        raise Invalid("validation.below_min", min=f.min)
    if f.max is not None and value > f.max:
        raise Invalid("validation.above_max", max=f.max)
    return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid("validation.not_bool", value=raw)


def _text(f: FieldSpec, raw: Any) -> str:
    text = str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))  # Excel turns 1001 into 1001.0
    if f.max_length is not None and len(text) > f.max_length:
        raise Invalid("validation.too_long", max=f.max_length)
    return text


def _json(raw: Any) -> Any:
    if isinstance(raw, list | dict):
        return raw
    try:
        return json.loads(str(raw))
    except json.JSONDecodeError:
        raise Invalid("validation.bad_json") from None


def _datetime(raw: Any) -> datetime:
    """Aware datetime; a time without zone (a form, an Excel cell) is site-local time, the
    same zone lists and exports show, so an exported file imports unchanged."""
    if isinstance(raw, datetime):
        parsed = raw
    else:
        try:
            parsed = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise Invalid("validation.not_datetime", value=raw) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=site_zone())


def parse(f: FieldSpec, raw: Any) -> Any:
    """Typed value for one field, ``None`` for blank; raises ``Invalid`` with the reason.

    Foreign keys are only checked for shape here; the service resolves and scope-checks them.
    """
    if is_blank(raw):
        if f.required:
            raise Invalid("validation.required")
        return False if f.kind == BOOL else None
    if f.kind in (MULTICHOICE, TAGS):
        items = raw if isinstance(raw, list | tuple) else re.split(r"[,，、;；]", str(raw))
        items = [str(i).strip() for i in items if not is_blank(i)]
        return items if f.kind == TAGS else [_choice(f, item) for item in items]
    if f.kind in (INT, FLOAT):
        return _number(f, raw)
    if f.kind == FK:
        return raw if isinstance(raw, int) else str(raw).strip()
    if f.kind == CHOICE:
        return _choice(f, raw)
    parser = _PARSERS.get(f.kind)
    return parser(raw) if parser else _text(f, raw)


_PARSERS = {BOOL: _bool, DATE: _date, DATETIME: _datetime, JSON: _json}


def parse_all(
    specs: tuple[FieldSpec, ...], raw: dict[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], list[Problem]]:
    """Parse every field present in ``raw`` (all fields unless ``partial``)."""
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in specs:
        if partial and f.name not in raw:
            continue
        try:
            clean[f.name] = parse(f, raw.get(f.name))
        except Invalid as exc:
            problems.append(Problem(f.name, exc.key, exc.params))
    return clean, problems
