"""Message catalogues for zh-CN (default) and en.

Keys are dotted strings; each language is a folder of flat JSON files in ``data/i18n/<lang>/``
(one file per module, merged at load; a key two files define differently is an error).
A missing key shows itself (``⟦key⟧``) rather than crashing, and ``tests/test_i18n.py``
fails the build if any key used or registered lacks either language.
"""

from __future__ import annotations

import json
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
