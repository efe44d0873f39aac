"""Message catalogues for zh-CN (default) and en.

Keys are dotted strings; each language is a folder of flat JSON files in ``data/i18n/<lang>/``
(one file per module, merged at load; a key two files define differently is an error).
A missing key shows itself (``⟦key⟧``) rather than crashing, and ``tests/test_i18n.py``
fails the build if any key used or registered lacks either language.
"""

from __future__ import annotations

import json
import re
from functools import cache

from core.config import REPO_ROOT

LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
CATALOGUE_DIR = REPO_ROOT / "data" / "i18n"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The flat key → text mapping for one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {LANGUAGES}")
    merged: dict[str, str] = {}
    for path in sorted((CATALOGUE_DIR / lang).glob("*.json")):
        part: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        clash = {k for k in merged.keys() & part.keys() if merged[k] != part[k]}
        if clash:
            raise ValueError(
                f"{path}: keys defined differently in another file: {sorted(clash)[:5]}"
            )
        merged.update(part)
    return merged


def has(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(lang)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate ``key``; ``params`` fill ``{name}`` placeholders."""
    text = catalogue(lang).get(key)
    if text is None:
        return f"⟦{key}⟧"
    return text.format(**params) if params else text


def t_keys(key: str, lang: str, params: dict[str, object]) -> str:
    """Translate ``key``; parameters that are catalogue keys are translated too."""
    shown = {k: t(v, lang) if isinstance(v, str) and has(v, lang) else v for k, v in params.items()}
    return t(key, lang, **shown)


def enum_label(value: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """Label of a StrEnum member, from ``enum.<Class>.<value>``."""
    return t(f"enum.{type(value).__name__}.{value}", lang)


class Translatable(Exception):
    """An error whose message is a catalogue key, shown in the user's language."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return t_keys(self.key, lang, self.params)


#: keys whose string values are codes (an enum's value), translated; others are kept as written
#: (a user name "admin" is not the role "admin")
_CODED_KEYS = frozenset(
    {"role", "roles", "status", "state", "kind", "level", "gas", "gases", "unit", "action"}
    | {"decision", "channel", "type", "from", "to", "require", "grade", "method", "severity"}
)
_SEPARATORS = {"zh-CN": ("：", "；", "、"), "en": (": ", "; ", ", ")}


@cache
def _enum_labels(lang: str) -> dict[str, str]:
    """Code → label, for codes every enum that has them labels alike (``combustible`` is a
    permit gas; ``closed`` means different things in different enums, and stays); a rule
    option's label (``video_setup.option.*``) serves codes no enum has."""
    enums: dict[str, set[str]] = {}
    options: dict[str, set[str]] = {}
    for key, text in catalogue(lang).items():
        if key.startswith("enum.") and key.count(".") == 2:
            enums.setdefault(key.rsplit(".", 1)[1], set()).add(text)
        elif ".option." in key:
            options.setdefault(key.rsplit(".", 1)[1], set()).add(text)
    labels = {code: next(iter(texts)) for code, texts in options.items() if len(texts) == 1}
    labels |= {code: next(iter(texts)) for code, texts in enums.items() if len(texts) == 1}
    return {
        code: label for code, label in labels.items() if code not in enums or len(enums[code]) == 1
    }


@cache
def _param_labels(lang: str) -> dict[str, str]:
    """Parameter name → label, from the catalogue's ``<area>.param.<name>`` keys."""
    return {
        key.rsplit(".", 1)[1]: text for key, text in catalogue(lang).items() if ".param." in key
    }


def readable(
    value: object,
    lang: str = DEFAULT_LANGUAGE,
    labels: dict[str, str] | None = None,
    *,
    coded: bool = True,
) -> str:
    """A stored dict or list as a person reads it, never as JSON: ``label: value`` pairs,
    lists joined, catalogue keys and enum codes translated, yes/no for booleans.

    A key is named by ``labels`` (e.g. a table's field labels), else by the catalogue's
    ``detail.<key>``, else by the key itself with spaces for underscores. A text is read as
    an enum code (``coded``) in a list or under a key such as ``status``; under other keys
    (a user name, a file name) it stays as written.

    >>> readable({"file": "a.json", "rows": 4}, "en")
    'File: a.json; Rows: 4'
    """
    colon, semicolon, comma = _SEPARATORS.get(lang, _SEPARATORS["en"])
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    if isinstance(value, str):
        if has(value, lang) and "." in value:  # a refusal's key: its text, blanks unfilled
            return re.sub(r"\{[a-z_]+\}", "…", t(value, lang))
        return _enum_labels(lang).get(value, value) if coded else value
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return semicolon.join(
            f"{_key_label(str(k), lang, labels)}{colon}"
            f"{_nested(v, lang, labels, coded=str(k) in _CODED_KEYS)}"
            for k, v in value.items()
            if v is not None and v != "" and v != [] and v != {}
        )
    if isinstance(value, list | tuple | set):
        parts = [readable(v, lang, labels) for v in value]
        joiner = semicolon if any(isinstance(v, dict) for v in value) else comma
        return joiner.join(p for p in parts if p)
    return str(value)


def _nested(value: object, lang: str, labels: dict[str, str] | None, *, coded: bool) -> str:
    """A dict inside a dict in parentheses, so its pairs do not run into the outer ones; a
    list's items are codes, a lone text only under a coded key."""
    text = readable(value, lang, labels, coded=coded or isinstance(value, list | tuple | set))
    return f"({text})" if isinstance(value, dict) and text else text


def _key_label(key: str, lang: str, labels: dict[str, str] | None) -> str:
    if labels and key in labels:
        return labels[key]
    if has(f"detail.{key}", lang):
        return t(f"detail.{key}", lang)
    return _param_labels(lang).get(key) or key.replace("_", " ")
