"""Credentials inside values: a URI's password is shown as ``***`` and kept when a form sends
the masked form back unchanged (the form never shows the stored password)."""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
#: ``scheme://user:password@``: the password lies between the first ``:`` after the user and
#: the last ``@`` before the path. Plain enough for Python and DuckDB (RE2) alike, so the SQL
#: console masks with the same pattern and replacement.
PASSWORD_IN_URI = r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):[^/]*@"
MASKED_PASSWORD = rf"\1:{MASK}@"
_CREDENTIALS = re.compile(PASSWORD_IN_URI)


def mask_uri(value: Any) -> Any:
    """The URI with its password replaced by ``***``; anything else unchanged."""
    if not isinstance(value, str):
        return value
    return _CREDENTIALS.sub(MASKED_PASSWORD, value, count=1)


def keep_stored(typed: Any, stored: Any) -> Any:
    """What to save when a form sends ``typed`` for a masked value: the stored one when the
    user left the masked form as shown, else what was typed."""
    return stored if typed == mask_uri(stored) else typed
