"""Database errors in words: DuckDB's real messages for the common mistakes map to a message
naming the column, table or value; anything else still gets a general message."""

from __future__ import annotations

import duckdb
import pytest

from analytics.sql_errors import explain, explain_refusal
from core.i18n import LANGUAGES, t


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE person (id INTEGER, name VARCHAR, hired_on DATE)")
    yield con
    con.close()


@pytest.mark.parametrize(
    ("sql", "kind", "params"),
    [
        ("SELEC name FROM person", "syntax_near", {"near": "SELEC"}),
        ("SELECT * FROM nosuch", "unknown_table", {"name": "nosuch"}),
        ("SELECT nosuch FROM person", "unknown_column", {"name": "nosuch"}),
        ("SELECT CAST('abc' AS INTEGER)", "conversion", {"value": "abc", "type": "INT32"}),
        ("SELECT id + name FROM person", "type_mismatch_function", {"name": "+(INTEGER, VARCHAR)"}),
        ("SELECT name, count(*) FROM person GROUP BY id", "group_by", {"name": "name"}),
        ("SELECT nofunc(id) FROM person", "unknown_function", {"name": "nofunc"}),
        ("SELECT CAST('2024-13-45' AS DATE)", "bad_date", {"value": "2024-13-45"}),
        ("SELECT a.id FROM person a, person b, person a", "ambiguous_table", {"name": "a"}),
    ],
)
def test_duckdb_errors_name_what_is_wrong(con, sql: str, kind: str, params: dict) -> None:
    with pytest.raises(duckdb.Error) as raised:
        con.execute(sql).fetchall()
    explained = explain(str(raised.value))
    assert explained.key == f"sql_console.error.kind.{kind}"
    assert explained.params == params
    assert explained.raw == str(raised.value)
    for lang in LANGUAGES:  # the message fills its blanks in both languages
        text = t(explained.key, lang, **explained.params)
        assert "⟦" not in text and "{" not in text
        assert all(value in text for value in params.values())


def test_other_databases_and_unknown_errors() -> None:
    assert explain("division by zero").key == "sql_console.error.kind.division_by_zero"
    assert explain("no such column: foo").params == {"name": "foo"}
    assert explain('relation "bar" does not exist').params == {"name": "bar"}
    other = explain("something nobody expected")
    assert other.key == "sql_console.error.kind.other" and other.raw == "something nobody expected"


def test_only_refusals_carrying_a_database_error_are_explained() -> None:
    wrapped = explain_refusal("sql_console.error.failed", {"error": "no such table: x"})
    assert wrapped is not None and wrapped.params == {"name": "x"}
    assert explain_refusal("sql_console.refused.not_select", {"kind": "DROP"}) is None
