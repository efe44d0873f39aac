"""Forms shared by the generic pages and the module screens: one widget per field with the
last submit's problems under it, and one transactional submit that keeps those problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.crud import service
from core.crud.custom import read
from core.crud.fields import FieldSpec
from core.crud.secrets import shown_uri
from core.db import session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.ui.context import flash, lang, show_error
from core.ui.widgets import field_input


def form_inputs(
    session: Session, actor: Actor, specs: tuple[FieldSpec, ...], row: Any, key: str
) -> dict[str, Any]:
    """Widgets for every form field; errors from the last submit appear under their field.
    A new row's tickboxes start at the model's default (a plan item follows joiners)."""
    errors: dict[str, str] = st.session_state.get(f"{key}_errors", {})
    raw: dict[str, Any] = {}
    cols = st.columns(2)
    for i, f in enumerate(x for x in specs if x.in_form):
        with cols[i % 2]:
            value = read(row, f) if row is not None else f.default  # new row: model default
            if f.masked and row is not None:  # never the stored password back
                value = shown_uri(row, f.name, f.credentials)
            raw[f.name] = field_input(
                session, actor, f, value, f"{key}_{f.name}", errors.get(f.name)
            )
    return raw


def submit(key: str, action: Callable[[Session], Any], done: str) -> bool:
    """Run a write in one transaction; keep field problems for the next render."""
    try:
        with session_scope() as session:
            action(session)
    except service.ValidationFailed as exc:
        st.session_state[f"{key}_errors"] = {p.field: p.message(lang()) for p in exc.problems}
        flash("error", exc.message(lang()))
        st.rerun()
    except Translatable as exc:
        show_error(exc)
        return False
    st.session_state.pop(f"{key}_errors", None)
    flash("success", done)
    return True


def reset_form(key: str, keep: tuple[str, ...] = ()) -> None:
    """Forget the values of the widgets named ``<key>_…`` (but ``keep``) after a successful
    submit: Streamlit keeps a widget's value across reruns, so the form would still show the
    record just saved and invite a duplicate."""
    kept = {f"{key}_{name}" for name in keep}
    for name in [k for k in st.session_state if str(k).startswith(f"{key}_") and k not in kept]:
        del st.session_state[name]
