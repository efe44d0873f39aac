"""Tamper-evident audit trail: a keyed hash chain, anchors outside the database, sealed records.

``chain`` appends (each entry MACed with a key kept outside the database), ``verify`` checks
the chain against its head row and its anchors, ``anchors`` writes the head outside the
database, ``seal`` writes record hashes into the chain and finds records changed behind the
app's back. Accounts and grants are sealed on every change: a role or scope given, or a grant
added, with SQL is named by ``verify_records``.
"""

from core.audit.anchors import Anchor, append_anchor, make_anchor, read_anchors
from core.audit.chain import (
    acting_as,
    changes,
    declare_secrets,
    jsonable,
    lock_head,
    record,
    record_many,
    record_update,
    rekey,
    shown_values,
    snapshot,
)
from core.audit.keys import GENESIS, key_for, load_key
from core.audit.readers import HIDDEN, declare_readers, hidden_from, readable_values
from core.audit.seal import (
    Finding,
    declare_sealed,
    reseal,
    seal_missing,
    state_in,
    verify_records,
)
from core.audit.verify import ChainReport, verify

#: Log-in counters change on every log-in attempt; the rest of an account is sealed.
declare_sealed("user", volatile=("failed_logins", "locked_until", "last_login_at", "last_seen_at"))
declare_sealed(
    "role_permission", name=lambda row: f"{row['role']}: {row['module']}.{row['action']}"
)

__all__ = [
    "GENESIS",
    "HIDDEN",
    "Anchor",
    "ChainReport",
    "Finding",
    "acting_as",
    "append_anchor",
    "changes",
    "declare_readers",
    "declare_sealed",
    "declare_secrets",
    "hidden_from",
    "jsonable",
    "key_for",
    "load_key",
    "lock_head",
    "make_anchor",
    "read_anchors",
    "readable_values",
    "record",
    "record_many",
    "record_update",
    "rekey",
    "reseal",
    "seal_missing",
    "shown_values",
    "snapshot",
    "state_in",
    "verify",
    "verify_records",
]
