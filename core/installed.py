"""The installed domains (Django's ``INSTALLED_APPS``): one line per module of the product.

Each domain is a package ``core.<name>``. What the platform needs from it sits in modules of
conventional names, imported once by :func:`load` in the order below (a module's dependencies
first), so that registering is a side effect of being installed:

``specs``      its tables' CRUD declarations (``core.crud.registry.register``)
``flow``       its workflows (``core.workflow``)
``listeners``  what it does when another domain's records move (``core.workflow.listen``)
``todo``       its to-do providers (``core.inbox.todo_provider``)
``reminders``  its reminder providers (``core.inbox.reminder``)

Registries call :func:`load` before they answer; nothing else scans the tree. A new module is
a package with ``specs.py`` (and ``flow.py`` where it has states) plus one line here. Its
reference data sits in ``data/reference/<name>/`` and its demo in ``core/demogen/<name>.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS: tuple[str, ...] = (
    "org",
    "system",
    "risk",
    "hazard",
    "inspection",
    "permit",
    "contractor",
    "training",
    "emergency",
    "incident",
    "health",
    "compliance",
    "duty",
    "video",
    "reporting",
)
PARTS: tuple[str, ...] = ("specs", "flow", "listeners", "todo", "reminders")

_loaded: list[ModuleType] | None = None


def part_names(domains: tuple[str, ...] = DOMAINS) -> list[str]:
    """Dotted names of the conventional modules the installed domains have."""
    return [
        f"core.{domain}.{part}"
        for domain in domains
        for part in PARTS
        if importlib.util.find_spec(f"core.{domain}.{part}") is not None
    ]


def load() -> list[ModuleType]:
    """Import every installed domain's conventional modules, once per process."""
    global _loaded
    if _loaded is None:
        _loaded = [importlib.import_module(name) for name in part_names()]
    return _loaded
