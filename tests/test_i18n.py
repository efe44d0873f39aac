"""Both catalogues are complete: every label the app can show exists in zh-CN and in en.

A missing key shows as ``⟦key⟧`` in the UI instead of crashing, so only this test notices it.
Keys come from three places: table declarations (tables, fields, choices), the closed enums,
and string literals in ``core/`` and ``models/`` (found with a regex, plus audit actions found
by reading the calls to ``audit.record``).
"""

from __future__ import annotations

import ast
import re
import string
from enum import StrEnum
from pathlib import Path

import pytest

import models.enums
from core.config import REPO_ROOT
from core.crud.registry import all_specs
from core.i18n import LANGUAGES, Translatable, catalogue, enum_label, t

SOURCE_DIRS = ("core", "models")
KEY_PREFIXES = (
    "error",
    "auth",
    "validation",
    "import",
    "export",
    "attachment",
    "common",
    "crud",
    "nav",
    "page",
    "home",
    "todo",
    "login",
    "account",
    "users",
    "perm",
    "audit",
    "audit_action",
)
_ALTERNATIVES = "|".join(KEY_PREFIXES)
KEY_LITERAL = re.compile(rf"""["']((?:{_ALTERNATIVES})\.[A-Za-z0-9_.\-]*[A-Za-z0-9_])["']""")
ENUM_KEY_PREFIX = {"Module": "module", "Action": "action"}  # the rest: enum.<Class>.<value>


def _sources() -> list[Path]:
    return sorted(
        p for d in SOURCE_DIRS for p in (REPO_ROOT / d).rglob("*.py") if "migrations" not in p.parts
    )


def literal_keys() -> set[str]:
    return {m.group(1) for p in _sources() for m in KEY_LITERAL.finditer(p.read_text("utf-8"))}


def _strings(node: ast.AST) -> set[str]:
    """String constants an expression can evaluate to (``"a" if x else "b"`` gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def audit_actions() -> set[str]:
    """Actions passed to ``audit.record(session, actor, ACTION, ...)`` or built as
    ``{"action": ACTION, ...}`` for ``audit.record_many``."""
    found: set[str] = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name == "record" and len(node.args) >= 3:
                    found |= _strings(node.args[2])
                for kw in node.keywords:
                    if name == "record" and kw.arg == "action":
                        found |= _strings(kw.value)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "action" and value:
                        found |= _strings(value)
    return found


def registry_keys() -> set[str]:
    keys: set[str] = set()
    for spec in all_specs():
        keys.add(spec.label_key)
        for f in spec.fields:
            keys.add(f.label_key)
            keys.add(f"import.kind.{f.kind}")
            if f.choice_prefix:
                keys |= {f"{f.choice_prefix}.{code}" for code in f.choices}
    return keys


def enum_keys() -> set[str]:
    keys = set()
    for name, cls in vars(models.enums).items():
        if isinstance(cls, type) and issubclass(cls, StrEnum) and cls is not StrEnum:
            prefix = ENUM_KEY_PREFIX.get(name, f"enum.{name}")
            keys |= {f"{prefix}.{member.value}" for member in cls}
    return keys


def _missing(keys: set[str]) -> dict[str, list[str]]:
    gaps = {lang: sorted(k for k in keys if k not in catalogue(lang)) for lang in LANGUAGES}
    return {lang: missing for lang, missing in gaps.items() if missing}


def test_catalogues_have_identical_keys() -> None:
    zh, en = catalogue("zh-CN"), catalogue("en")

    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_empty_texts(lang: str) -> None:
    assert [k for k, v in catalogue(lang).items() if not v.strip()] == []


def test_placeholders_match_between_languages() -> None:
    """A translation that drops or renames ``{minutes}`` would show a wrong or broken message."""

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    zh, en = catalogue("zh-CN"), catalogue("en")
    assert {k: (fields(zh[k]), fields(en[k])) for k in zh if fields(zh[k]) != fields(en[k])} == {}


def test_every_registered_label_exists() -> None:
    assert _missing(registry_keys()) == {}


def test_every_enum_label_exists() -> None:
    assert _missing(enum_keys()) == {}


def test_every_key_used_in_source_exists() -> None:
    keys = literal_keys()

    assert len(keys) > 30, "the key regex stopped finding keys; has the code style changed?"
    assert _missing(keys) == {}


def test_every_audit_action_has_a_label() -> None:
    actions = audit_actions()

    assert {"create", "update", "delete", "restore", "login", "import", "export"} <= actions
    assert _missing({f"audit_action.{a}" for a in actions}) == {}


def test_custom_field_tables_have_labels() -> None:
    assert _missing({f"table.{name}" for name in _customisable()}) == {}


def _customisable() -> tuple[str, ...]:
    from core.system.specs import CUSTOMISABLE

    return CUSTOMISABLE


class TestTranslate:
    def test_default_language_is_chinese(self) -> None:
        assert t("table.person") == "人员"  # the default before log-in

    def test_parameters_fill_placeholders(self) -> None:
        assert t("auth.locked", "en", minutes=15) == (
            "Too many wrong passwords: the account is locked; try again in 15 minutes"
        )

    def test_missing_key_shows_itself(self) -> None:
        assert t("no.such.key", "en") == "⟦no.such.key⟧"

    def test_unknown_language_fails_loudly(self) -> None:
        with pytest.raises(ValueError, match="unsupported language"):
            catalogue("de")

    def test_enum_label(self) -> None:
        assert enum_label(models.enums.RiskLevel.MAJOR, "zh-CN").startswith("重大风险")
        assert enum_label(models.enums.RiskLevel.MAJOR, "en") != "⟦enum.RiskLevel.major⟧"

    def test_error_parameters_that_are_keys_are_translated(self) -> None:
        error = Translatable("error.permission_denied", module="module.org", action="action.edit")

        assert error.message("en") == "Not permitted: Organisation · edit"
        assert "module.org" not in error.message("zh-CN")
