"""The audit key: kept outside the database, so rewriting history needs the key as well.

The key comes from ``SAFELOOP_AUDIT_KEY`` (``settings.audit_key``) or from the data dir's
``audit-chain.key`` file, created with mode 0600 on first use. It is memoised per database URL
for the life of the process: one installation has one database and one key, and a process that
opens several databases (tests) keeps the key each chain was started with. Entries written
before the key existed were chained with plain SHA-256 (``legacy_digest``); see
``core.audit.chain``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core.config import Settings, get_settings
from models.system import AuditEntry

#: The first ``prev_hash`` of a chain written before the audit key existed.
GENESIS = "0" * 64
_ITEM_FIELDS = ("action", "table_name", "row_id", "enterprise_id", "before", "after", "detail")
_HASHED = ("seq", "ts", "actor_id", "actor_name", *_ITEM_FIELDS, "prev_hash")
_BY_URL: dict[str, bytes] = {}

Mac = Callable[[AuditEntry | dict[str, Any]], str]


def _key_file(path: Path) -> bytes:
    """Read the key file, creating it (0600, atomically: two first writers agree) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(part, path)
        except FileExistsError:
            pass  # another process created it first: use theirs
        finally:
            part.unlink()
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError:
        raise ValueError(f"the audit key file {path} does not hold a hex key") from None


def load_key(settings: Settings) -> bytes:
    """The configured key: the environment's, else the data dir's key file."""
    secret = settings.audit_key.get_secret_value()
    return secret.encode("utf-8") if secret else _key_file(settings.audit_key_file)


def key_for(session: Session) -> bytes:
    """The key of the database ``session`` writes to (see the module docstring)."""
    bind = session.get_bind()
    url = str(getattr(bind, "engine", bind).url)
    if url not in _BY_URL:
        _BY_URL[url] = load_key(get_settings())
    return _BY_URL[url]


def _canonical(entry: AuditEntry | dict[str, Any]) -> bytes:
    get = entry.get if isinstance(entry, dict) else partial(getattr, entry)
    body = {name: get(name) for name in _HASHED}
    body["ts"] = get("ts").isoformat(timespec="microseconds")
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def legacy_digest(entry: AuditEntry | dict[str, Any]) -> str:
    """How entries were chained before the key: anyone could recompute it."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def mac_with(key: bytes) -> Mac:
    """The keyed MAC (HMAC-SHA256) of an entry under ``key``."""
    return lambda entry: hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def genesis(key: bytes) -> str:
    """The first link of a keyed chain: ties entry 1 to the key, so a chain rebuilt from
    scratch without the key, or a keyed chain passed off as a legacy one, is told apart."""
    return hmac.new(key, b"safeloop-audit-genesis", hashlib.sha256).hexdigest()
