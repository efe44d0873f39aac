"""Reference data from the standards (GB 6441, GB 30871, LEC, ...), shipped as JSON in
``data/reference/`` and loaded into ordinary tables, where the admin may edit them.

A file looks like::

    {"table": "accident_type", "key": "code", "version": "GB 6441-1986",
     "source": "GB 6441-1986 企业职工伤亡事故分类, 附录 A", "rows": [{"code": "01", ...}]}

Loading inserts the rows whose key is not in the table yet, so it runs on every start,
picks up rows added in a new release, and never overwrites what an admin changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core import audit
from core.config import REPO_ROOT
from core.crud.registry import get_spec

REFERENCE_DIR = REPO_ROOT / "data" / "reference"
REQUIRED = ("table", "key", "version", "source", "rows")


def files() -> list[Path]:
    return sorted(REFERENCE_DIR.rglob("*.json"))


def read(path: Path) -> dict[str, Any]:
    """A reference file, checked for the fields every file must carry."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise ValueError(f"{path.name}: missing {', '.join(missing)}")
    return doc


def load_all(session: Session) -> dict[str, int]:
    """Insert missing reference rows of every file; returns rows added per table."""
    added: dict[str, int] = {}
    for path in files():
        doc = read(path)
        spec = get_spec(doc["table"])
        key = getattr(spec.model, doc["key"])
        present = set(session.exec(select(key)).all())
        new = [row for row in doc["rows"] if row[doc["key"]] not in present]
        if not new:
            continue
        session.add_all(spec.model(**row) for row in new)
        session.flush()
        audit.record(
            session,
            None,
            "reference_load",
            table_name=spec.name,
            detail={"file": path.name, "version": doc["version"], "rows": len(new)},
        )
        added[spec.name] = added.get(spec.name, 0) + len(new)
    return added
