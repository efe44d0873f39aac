"""Reference data from the standards (GB 6441, GB 30871, LEC, ...), shipped as JSON in
``data/reference/`` and loaded into ordinary tables, where the admin may edit them.

A file looks like::

    {"table": "accident_type", "key": "code", "version": "GB 6441-1986",
     "source": "GB 6441-1986 企业职工伤亡事故分类, 附录 A", "rows": [{"code": "01", ...}]}

Loading inserts the rows whose key is not in the table yet, so it runs on every start,
picks up rows added in a new release, and never overwrites what an admin changed.

Every title a person reads has an English form beside it: a ``name_en`` column, or where the
table has none a ``<title>_en`` value the file keeps (``core.crud.english`` shows it).

A row refers to another reference row by that row's key, never by id (ids differ between
databases). A file declares such columns once::

    "lookups": {"scheme_id": {"table": "scoring_scheme", "key": "code"}}

and its rows say ``"scheme_id": "LEC-1"``; the loader resolves the code to the id, loads the
files of looked-up tables first, and takes a row as present when its key *and* its looked-up
columns match (so a factor code may repeat in another scheme).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core import audit, installed
from core.config import REPO_ROOT
from core.crud.registry import get_spec

REFERENCE_DIR = REPO_ROOT / "data" / "reference"
REQUIRED = ("table", "key", "version", "source", "rows")


def files() -> list[Path]:
    """The files of the installed domains (``data/reference/<domain>/``) and the shared ones
    (``data/reference/common/`` or the folder itself)."""
    folders = {"common", *installed.DOMAINS}
    return sorted(
        path
        for path in REFERENCE_DIR.rglob("*.json")
        if len(parts := path.relative_to(REFERENCE_DIR).parts) == 1 or parts[0] in folders
    )


def read(path: Path) -> dict[str, Any]:
    """A reference file, checked for the fields every file must carry."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        raise ValueError(f"{path.name}: missing {', '.join(missing)}")
    return doc


def _ordered(docs: list[tuple[Path, dict[str, Any]]]) -> list[tuple[Path, dict[str, Any]]]:
    """Files in path order, except that a file waits for the files of the tables it looks up
    (a file looking up its own table would wait forever, and is refused as a cycle)."""
    pending, out = list(docs), []
    while pending:
        waiting = {doc["table"] for _, doc in pending}
        ready = [
            (path, doc)
            for path, doc in pending
            if not {lk["table"] for lk in doc.get("lookups", {}).values()} & waiting
        ]
        if not ready:
            raise ValueError(f"reference lookups form a cycle among {sorted(waiting)}")
        out += ready
        pending = [(path, doc) for path, doc in pending if all(path != p for p, _ in ready)]
    return out


def _resolve(session: Session, path: Path, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The file's rows with every looked-up key replaced by the id it names."""
    rows = [dict(r) for r in doc["rows"]]
    for column, lookup in doc.get("lookups", {}).items():
        target = get_spec(lookup["table"]).model
        key = getattr(target, lookup["key"])
        wanted = {r[column] for r in rows if r.get(column) is not None}
        ids = dict(session.exec(select(key, target.id).where(key.in_(sorted(wanted)))).all())
        for r in rows:
            if r.get(column) is None:
                continue
            if r[column] not in ids:
                where = f"{lookup['table']}.{lookup['key']}"
                raise ValueError(f"{path.name}: {column} {r[column]!r} is not in {where}")
            r[column] = ids[r[column]]
    return rows


def load_all(session: Session) -> dict[str, int]:
    """Insert missing reference rows of every file; returns rows added per table."""
    added: dict[str, int] = {}
    for path, doc in _ordered([(p, read(p)) for p in files()]):
        spec = get_spec(doc["table"])
        names = (doc["key"], *doc.get("lookups", {}))
        cols = [getattr(spec.model, n) for n in names]
        present = {tuple(r) for r in session.execute(select(*cols)).all()}
        rows = _resolve(session, path, doc)
        new = [row for row in rows if tuple(row.get(n) for n in names) not in present]
        if not new:
            continue
        fields = spec.model.model_fields
        # a file may give a column's English form (``title_en``) where the table has no
        # such column; ``core.crud.english`` reads it from the file, the table does not keep it
        session.add_all(spec.model(**{k: v for k, v in row.items() if k in fields}) for row in new)
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
