"""Credentials inside values. A URI field may keep its user and password in columns of their
own (``FieldSpec.credentials``): the stored URI then never holds a password, the password
column is a declared secret, and only the code that opens the source puts them together
(:func:`with_credentials`). Wherever a URI is shown its password reads ``***``; a form that
sends the masked form back unchanged keeps the stored password."""

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
#: scheme://, then the user information (everything up to the last ``@`` before the path).
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/]*)@")


def mask_uri(value: Any) -> Any:
    """The URI with its password replaced by ``***``; anything else unchanged."""
    if not isinstance(value, str):
        return value
    return _CREDENTIALS.sub(MASKED_PASSWORD, value, count=1)


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """``rtsp://admin:pw@host/x`` → (``rtsp://host/x``, ``admin``, ``pw``); a URI without
    user information comes back whole with two Nones."""
    match = _USERINFO.match(uri)
    if match is None:
        return uri, None, None
    user, sep, password = match.group(2).partition(":")
    return match.group(1) + uri[match.end() :], user or None, password if sep else None


def with_credentials(uri: str, user: str | None, password: str | None) -> str:
    """The URI a source is opened with (or, with ``password=MASK``, the one a form shows)."""
    if not user and not password:
        return uri
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri)
    if match is None:  # a file path or a webcam index has no place for credentials
        return uri
    userinfo = (user or "") + (f":{password}" if password else "")
    return f"{match.group(0)}{userinfo}@{uri[match.end() :]}"


def shown_uri(row: Any, name: str, credentials: tuple[str, str] | None) -> Any:
    """A URI field's value as a form shows it: its user and a masked password put back."""
    value = getattr(row, name)
    if credentials is None or not isinstance(value, str):
        return mask_uri(value)
    user, password = (getattr(row, c) for c in credentials)
    return with_credentials(value, user, MASK if password else None)


def store_credentials(
    values: dict[str, Any], name: str, credentials: tuple[str, str], stored: Any
) -> None:
    """Move a typed URI's user and password into their columns; a password typed as ``***``
    (the form's mask sent back) keeps the ``stored`` row's password."""
    typed = values.get(name)
    if not isinstance(typed, str):
        return
    uri, user, password = split_credentials(typed)
    user_col, password_col = credentials
    if password == MASK:
        password = getattr(stored, password_col, None)
    values.update({name: uri, user_col: user, password_col: password})
