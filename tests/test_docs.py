"""Documentation that must not drift from the code (the datasette habit)."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"| {name} |" not in text]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_cli_command_is_in_the_readme() -> None:
    from core.cli import build_parser

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    missing = [name for name in commands.choices if f"safeloop {name}" not in readme]
    assert not missing, f"commands missing from the README: {missing}"
