"""A query's failure in the reader's language: the common database errors in words naming the
column or table, the database's own text folded away beneath."""

from __future__ import annotations

import streamlit as st

from analytics.sql_errors import explain_refusal
from core.i18n import Translatable
from core.ui.context import show_error, tr


def show_query_error(exc: Translatable) -> None:
    """``st.error`` with the translated explanation and the raw message in an expander;
    refusals that are not database errors show as usual."""
    explained = explain_refusal(exc.key, exc.params)
    if explained is None:
        show_error(exc)
        return
    st.error(tr(explained.key, **explained.params))
    if explained.raw:
        with st.expander(tr("sql_console.error.raw")):
            st.code(explained.raw, language=None)
