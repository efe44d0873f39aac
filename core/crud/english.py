"""English names of reference rows whose table keeps only the Chinese one.

Most reference tables carry a ``name_en`` column; a few (permit templates, scoring schemes,
the regulation library) keep one title column, and their shipped files give the English
form beside it (``"name_en"``, ``"title_en"``). A row is matched by the file's key, so a row
an admin added has no English form and shows its own title.
"""

from __future__ import annotations

import json
from functools import cache

from core.config import REPO_ROOT

REFERENCE_DIR = REPO_ROOT / "data" / "reference"


@cache
def reference_english(table: str, field: str) -> tuple[str, dict[str, str]]:
    """``(key column, {key: English form of field})`` from the shipped files of ``table``;
    an empty mapping when the files give none."""
    key, names = "code", {}
    for path in sorted(REFERENCE_DIR.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("table") != table:
            continue
        key = doc.get("key", key)
        for row in doc.get("rows", []):
            english = row.get(f"{field}_en")
            if english and row.get(key) is not None:
                names[str(row[key])] = english
    return key, names


def english_of(table: str, field: str, key: object, fallback: str) -> str:
    """The shipped English form of one row's ``field``, else ``fallback``."""
    return reference_english(table, field)[1].get(str(key)) or fallback


@cache
def english_terms() -> dict[str, str]:
    """Chinese text → English, over every pair the shipped files give (``name`` beside
    ``name_en``, a list beside its ``_en`` list): for texts a page shows without knowing
    their row, such as a template's certificate work types or a grade's description."""
    terms: dict[str, str] = {}
    for path in sorted(REFERENCE_DIR.rglob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")).get("rows", []):
            for field, english in row.items():
                original = row.get(field.removesuffix("_en")) if field.endswith("_en") else None
                if isinstance(original, str) and isinstance(english, str) and english:
                    terms.setdefault(original, english)
                elif isinstance(original, list) and isinstance(english, list):
                    for zh, en in zip(original, english, strict=False):
                        terms.setdefault(str(zh), str(en))
    return terms


def in_language(text: str, lang: str) -> str:
    """``text`` in English where the shipped files give its English form and ``lang`` is
    English; the text itself otherwise (an admin's own wording stays as written)."""
    return english_terms().get(text, text) if lang == "en" and text else text
