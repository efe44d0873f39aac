"""One rule for every spreadsheet cell SafeLoop writes or reads back (OWASP CSV injection).

Excel, LibreOffice and WPS run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
after a tab or carriage return, whatever follows) as a formula or DDE call, so a hazard
titled ``=cmd|' /C calc'!A0`` would run a program on the machine of whoever opens the
export. Such text is written with a leading ``'``, which the spreadsheet shows as text.
Numbers, dates and booleans are never touched: a negative number stays a number.
"""

from __future__ import annotations

from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: Any) -> Any:
    """The value to write into an exported cell: text that a spreadsheet would evaluate is
    prefixed with ``'``; everything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return QUOTE + value
    return value


def read_cell(value: Any) -> Any:
    """The inverse on import, so an exported file imports as it was: ``'=x`` reads as
    ``=x``; a quote before anything harmless is the user's own and is kept."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(DANGEROUS):
        return value[1:]
    return value
