"""Which sheet row is the header, and which column holds which field.

Users' files are not our template: a merged title and notes come first, columns are worded
their way (``FieldSpec.aliases``), and some columns are knowingly not imported (computed
columns of an export, ``TableSpec.import_ignore``): those are skipped and listed, anything
else unknown is refused so a mistyped header never drops its data silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from core.crud.custom import PREFIX
from core.crud.fields import FieldSpec
from core.crud.validate import is_blank
from core.i18n import LANGUAGES, t


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Columns:
    """Sheet column index → field, the skipped headers, and what is wrong with the header."""

    fields: dict[int, FieldSpec] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def known(specs: tuple[FieldSpec, ...]) -> dict[str, FieldSpec]:
    """Header text to field: the code, the label in either language, or an alias."""
    names: dict[str, FieldSpec] = {}
    for f in specs:
        names[f.name] = names[f.name.removeprefix(PREFIX)] = f
        for code in LANGUAGES:
            names[f.label_in(code)] = f
        names.update(dict.fromkeys(f.aliases, f))
    return names


def header_text(value: Any) -> str:
    """A header cell as compared: line breaks inside a cell (``风险\\n等级``) removed."""
    return "".join(str(value).split())


def find_header(rows: list[tuple[Any, ...]], labels: set[str]) -> int:
    """Index of the header: of the first rows, the one naming the most columns, so a merged
    title, blank rows or a "unit / date" line above the table are skipped; with no column
    named anywhere, the first non-blank row (its unknown columns are then reported)."""
    wanted = {header_text(label) for label in labels}
    scores = [sum(not is_blank(v) and header_text(v) in wanted for v in row) for row in rows]
    if max(scores, default=0) > 0:
        return scores.index(max(scores))
    return next((i for i, row in enumerate(rows) if not all(is_blank(v) for v in row)), 0)


def header_map(
    specs: tuple[FieldSpec, ...], header: tuple[Any, ...], lang: str, skip: set[str], row: int
) -> Columns:
    """Columns by label (either language), alias or code; columns in ``skip`` are listed,
    not read. Two columns for one field are refused: silently keeping one would import the
    other's data as nothing."""
    names = {header_text(k): f for k, f in known(specs).items()}
    skip = {header_text(s) for s in skip}
    cols = Columns()
    first: dict[str, int] = {}
    for idx, value in enumerate(header):
        if is_blank(value):
            continue
        f = names.get(header_text(value))
        if f is None and header_text(value) in skip:
            cols.skipped.append(header_text(value))
        elif f is None:
            cols.errors.append(RowError(row, str(value), t("import.unknown_column", lang)))
        elif f.name in first:
            label = f.label_in(lang)
            letters = {"first": get_column_letter(first[f.name] + 1)}
            letters["second"] = get_column_letter(idx + 1)
            msg = t("import.duplicate_column", lang, label=label, **letters)
            cols.errors.append(RowError(row, label, msg))
        else:
            cols.fields[idx] = f
            first[f.name] = idx
    for f in specs:
        if f.required and f.name not in first:
            cols.errors.append(RowError(row, f.label_in(lang), t("import.missing_column", lang)))
    return cols
