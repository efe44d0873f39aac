"""One input widget per field kind, shared by create and edit forms."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.crud.fields import (
    BOOL,
    CHOICE,
    DATE,
    FK,
    FLOAT,
    INT,
    JSON,
    MULTICHOICE,
    TAGS,
    TEXTAREA,
    FieldSpec,
)
from core.crud.lookup import options
from core.rbac import Actor
from core.ui.context import lang, tr


def field_input(
    session: Session, actor: Actor, f: FieldSpec, value: Any, key: str, error: str | None
) -> Any:
    """Render the widget for ``f`` with ``value``; returns the raw input for validation."""
    code = lang()
    label = f.label_in(code) + (" *" if f.required else "")
    if f.kind == FK:
        choices = options(session, f.fk or "", actor, lang=code)
        if value is not None and value not in choices:
            choices[value] = f"#{value}"
        result = st.selectbox(
            label,
            [None, *choices],
            index=[None, *choices].index(value),
            format_func=lambda v: tr("common.none") if v is None else choices[v],
            key=key,
        )
    elif f.kind == CHOICE:
        current = getattr(value, "value", value)
        opts = [None, *f.choices]
        result = st.selectbox(
            label,
            opts,
            index=opts.index(current) if current in opts else 0,
            format_func=lambda c: tr("common.none") if c is None else f.choice_label(c, code),
            key=key,
        )
    elif f.kind == MULTICHOICE:
        result = st.multiselect(
            label,
            list(f.choices),
            default=list(value or []),
            format_func=lambda c: f.choice_label(c, code),
            placeholder=tr("common.choose_options"),
            key=key,
        )
    elif f.kind == TAGS:
        result = st.text_input(label, "，".join(value or []), key=key)
    elif f.kind == BOOL:
        result = st.checkbox(label, bool(value), key=key)
    elif f.kind in (INT, FLOAT):
        step = 1 if f.kind == INT else None
        result = st.number_input(label, value=value, step=step, key=key)
    elif f.kind == DATE:
        result = st.date_input(label, value=value, key=key)
    elif f.kind == JSON:
        result = st.text_area(
            label, json.dumps(value, ensure_ascii=False) if value else "", key=key
        )
    elif f.kind == TEXTAREA:
        result = st.text_area(label, value or "", key=key)
    else:
        result = st.text_input(label, value or "", max_chars=f.max_length, key=key)
    if error:
        st.markdown(f":red[⚠ {error}]")
    return result


def filter_input(f: FieldSpec, key: str, choices: dict[int, str] | None = None) -> Any:
    """A list filter: several choices, one linked record (``choices``, which the list view
    looked up in the actor's scope), yes/no, or a date range."""
    code = lang()
    label = f.label_in(code)
    if f.kind == CHOICE:
        return st.multiselect(
            label,
            list(f.choices),
            format_func=lambda c: f.choice_label(c, code),
            placeholder=tr("common.all"),  # picking none filters nothing
            key=key,
        )
    if f.kind == FK:
        linked = choices or {}
        return st.selectbox(
            label,
            [None, *linked],
            key=key,
            format_func=lambda v: tr("common.all") if v is None else linked[v],
        )
    if f.kind == BOOL:
        return st.selectbox(
            label,
            [None, True, False],
            key=key,
            format_func=lambda v: (
                tr("common.all") if v is None else tr("common.yes" if v else "common.no")
            ),
        )
    if f.kind == DATE:
        return filter_value(st.date_input(label, value=(), key=key))
    return filter_value(st.text_input(label, key=key))


def filter_value(picked: Any) -> Any:
    """What a filter widget's value means to the list: a date range being picked as
    ``(from, to)`` (open-ended after one click), an empty text or range as no filter. The
    list reads the widgets' state with this before it draws them, so both agree."""
    if isinstance(picked, tuple):
        if len(picked) == 2:
            return (picked[0], picked[1])
        return (picked[0], None) if len(picked) == 1 else None
    if isinstance(picked, str):
        return picked or None
    return picked


def one_or_all(cell: Any, label: str, choices: dict[Any, str], key: str) -> Any:
    """A filter picker whose first entry, ``None``, means "all" (the label is read now, in
    the page's language, not whenever the widget happens to format its value)."""
    everything = tr("common.all")
    return cell.selectbox(
        label,
        [None, *choices],
        format_func=lambda v: everything if v is None else choices[v],
        key=key,
    )


def any_of(cell: Any, label: str, choices: dict[Any, str], key: str) -> list[Any]:
    """A filter picker for several values; picking none means "all"."""
    return cell.multiselect(
        label, list(choices), format_func=choices.get, placeholder=tr("common.all"), key=key
    )


def pick_enterprise(choices: dict[int, str], label: str, key: str) -> int | None:
    """The enterprise a map shows: the only one the user reaches, or a picker; None if none."""
    if not choices:
        return None
    if len(choices) == 1:
        return next(iter(choices))
    return st.selectbox(label, list(choices), format_func=choices.get, key=key)
