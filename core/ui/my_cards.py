"""The workbench's "my …" lists, sized for a phone: one bordered card per record with its
status as a coloured badge, its dates in the user's language and a link that opens the full
record (the register page with ``?id=``, the app's deep-link convention).

A list is a declaration (``Cards``); the rows come from ``core.mine.mine_rows``, the same
scoped query as the register narrowed to the viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.clock import local, site_today
from core.crud import present
from core.crud.registry import get_spec
from core.mine import mine_rows
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.nav import page_link

Tone = Callable[[Any, date], str]  # a row and today → a badge colour


def blue(_row: Any, _today: date) -> str:
    return "blue"


def expiry_tone(field: str, soon_days: int = 30) -> Tone:
    """Red once ``field`` has passed, orange within ``soon_days``, else green."""

    def tone(row: Any, today: date) -> str:
        due = getattr(row, field, None)
        if due is None:
            return "gray"
        left = (due - today).days
        return "red" if left < 0 else "orange" if left <= soon_days else "green"

    return tone


@dataclass(frozen=True)
class Cards:
    """One list of the viewer's records: which fields make each card."""

    table: str
    title: tuple[str, ...]  # fields joined into the card's heading
    badge: str | None = None  # the field shown as a badge (a status)
    tone: Tone = blue
    badge_text: Callable[[Any], str | None] | None = None  # instead of the field's value
    dates: tuple[str, ...] = ()  # date fields, "label: day" in the user's language
    lines: tuple[str, ...] = ()  # further fields, "label: value"


def day(value: date | datetime | None) -> str:
    """A date as the user's language writes it (2026年3月5日 / 5 Mar 2026), with the local
    time for a moment."""
    if value is None:
        return ""
    moment = local(value) if isinstance(value, datetime) else None
    d = moment.date() if moment else value
    month = tr(f"workbench.month.{d.month}")
    text = tr("workbench.date", y=d.year, d=d.day, month=month)
    return f"{text} {moment:%H:%M}" if moment else text


def labelled(label: str, value: Any) -> str:
    return tr("workbench.labelled", label=label, value=value)


def need_person(actor: Actor) -> bool:
    """False (and says why) for an account that is not linked to a person: nothing can be
    "mine" for it."""
    if actor.person_id is None:
        st.info(tr("workbench.no_person"))
        return False
    return True


def card(
    heading: str,
    badge: tuple[str, str] | None,
    details: list[str],
    actor: Actor,
    link: tuple[str, int] | None,
) -> None:
    """One record: heading, badge (text, colour), one detail per line, the "open" link."""
    with st.container(border=True):
        top = f"**{heading}**"
        if badge:
            top += f"  :{badge[1]}-badge[{badge[0]}]"
        st.markdown(top)
        if details:
            st.markdown("  \n".join(details))
        if link:
            page_link(actor, link[0], label=tr("workbench.open"), query_params={"id": str(link[1])})


def show_cards(session: Session, actor: Actor, spec_cards: Cards, empty: str) -> int:
    """The viewer's records as cards, or ``empty`` (a catalogue text saying what to do)."""
    rows = mine_rows(session, actor, spec_cards.table)
    if not rows:
        st.info(tr(empty))
        return 0
    spec = get_spec(spec_cards.table)
    names = (*spec_cards.title, *((spec_cards.badge,) if spec_cards.badge else ()))
    fields = tuple(spec.field(n) for n in (*names, *spec_cards.lines))
    shown = present.table_rows(session, fields, rows, lang())
    today = site_today()
    for row, values in zip(rows, shown, strict=True):
        parts = [values[n] for n in spec_cards.title]
        heading = " · ".join(str(v) for v in parts if v not in ("", None))
        text = (
            spec_cards.badge_text(row)
            if spec_cards.badge_text
            else values[spec_cards.badge]
            if spec_cards.badge
            else None
        )
        badge = (str(text), spec_cards.tone(row, today)) if text not in ("", None) else None
        details = [
            labelled(spec.field(n).label_in(lang()), day(getattr(row, n)))
            for n in spec_cards.dates
            if getattr(row, n, None) is not None
        ] + [
            labelled(spec.field(n).label_in(lang()), values[n])
            for n in spec_cards.lines
            if values[n] not in ("", None)
        ]
        link = (spec.page, row.id) if spec.page else None
        card(heading or f"#{row.id}", badge, details, actor, link)
    if spec.page:  # the whole list, with its filters and export, narrowed to the viewer
        page_link(actor, spec.page, label=tr("workbench.all"), query_params={"f.mine": "1"})
    return len(rows)
