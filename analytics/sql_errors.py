"""A database error in words a person reads: DuckDB's (and the SQL databases') common messages
mapped to a catalogue key naming the column, table or value, the raw text kept for a detail.

>>> explain('Binder Error: Referenced column "zz" not found in FROM clause!').key
'sql_console.error.kind.unknown_column'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# (pattern, key); the pattern's named groups become the key's parameters; first match wins
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE | re.DOTALL), f"sql_console.error.kind.{kind}")
    for pattern, kind in (
        (r'syntax error at or near "(?P<near>[^"]*)"', "syntax_near"),
        (r"syntax error at end of input", "syntax_end"),
        (r"Parser Error|syntax error", "syntax"),
        (r"Table with name (?P<name>\S+) does not exist", "unknown_table"),
        (
            r'(?:no such table|relation "?)(?::\s*)?(?P<name>[\w.]+)"?(?: does not exist)?',
            "unknown_table",
        ),
        (r'Referenced column "(?P<name>[^"]+)" not found', "unknown_column"),
        (r'column "(?P<name>[^"]+)" (?:does not exist|not found)', "unknown_column"),
        (r"no such column: (?P<name>[\w.]+)", "unknown_column"),
        (r'Ambiguous reference to column name "(?P<name>[^"]+)"', "ambiguous_column"),
        (r'Ambiguous reference to table "(?P<name>[^"]+)"', "ambiguous_table"),
        (r'column "(?P<name>[^"]+)" must appear in the GROUP BY', "group_by"),
        (
            r"(?:Scalar|Aggregate|Table) Function with name (?P<name>\w+) does not exist",
            "unknown_function",
        ),
        (
            r"No function matches the given name and argument types '(?P<name>[^']+)'",
            "type_mismatch_function",
        ),
        (r"Could not convert string '(?P<value>[^']*)' to (?P<type>\w+)", "conversion"),
        (r"out of range for the destination type (?P<type>\w+)", "out_of_range"),
        (r'date field value out of range: "(?P<value>[^"]*)"', "bad_date"),
        (r"Conversion Error|invalid input syntax for type", "conversion_other"),
        (r"division by zero|divide by zero", "division_by_zero"),
        (r"Out of Range Error", "out_of_range_other"),
        (r"Cannot compare values of type (?P<left>\w+) and type (?P<right>\w+)", "compare_types"),
    )
)
_FALLBACK = "sql_console.error.kind.other"


@dataclass(frozen=True)
class Explained:
    """What to tell the person (``key`` with ``params``) and the database's own text."""

    key: str
    params: dict[str, str] = field(default_factory=dict)
    raw: str = ""


def explain(raw: str) -> Explained:
    """The first matching common error, or a general one; ``raw`` is kept whole."""
    text = raw or ""
    for pattern, key in _PATTERNS:
        if match := pattern.search(text):
            params = {k: v.strip() for k, v in match.groupdict().items() if v is not None}
            return Explained(key, params, text)
    return Explained(_FALLBACK, {}, text)


#: the refusals that carry a database's own message in their ``error`` parameter
DATABASE_ERRORS = ("sql_console.error.failed", "sql_console.error.syntax")


def explain_refusal(key: str, params: dict[str, object]) -> Explained | None:
    """The explanation of a refusal that wraps a database error; None for the others (their
    own message already says what is wrong)."""
    if key not in DATABASE_ERRORS:
        return None
    return explain(str(params.get("error", "")))
