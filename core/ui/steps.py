"""Small pieces the permit screens share: running a step and listing every problem it met
(a permit refusal often has several — three workers without certificates — and each one must
be read, not only the first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.db import session_scope
from core.i18n import Translatable
from core.ui.context import flash, lang

PROBLEMS = "{key}_problems"


def _text(problem: Problem) -> str:
    """A field problem with its field's label ("地点：必填"); messages that already say
    what they are about stand alone."""
    message = problem.message(lang())
    try:
        label = get_spec("permit").field(problem.field).label_in(lang())
    except KeyError:
        return message
    return message if label in message else f"{label}：{message}"


def attempt(key: str, action: Callable[[Session], Any], done: str) -> bool:
    """Run ``action`` in one transaction; on a refusal keep its messages for ``problems``."""
    slot = PROBLEMS.format(key=key)
    try:
        with session_scope() as session:
            action(session)
    except ValidationFailed as exc:
        st.session_state[slot] = [_text(p) for p in exc.problems]
        return False
    except Translatable as exc:
        st.session_state[slot] = [exc.message(lang())]
        return False
    st.session_state.pop(slot, None)
    flash("success", done)
    return True


def problems(key: str) -> None:
    """The messages of the last refused attempt under ``key``, one per line."""
    for message in st.session_state.get(PROBLEMS.format(key=key), []):
        st.error(message, icon="⚠️")
