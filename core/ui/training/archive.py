"""个人培训档案 / Training archive: pick a person (an employee: only themselves), see every
course, assignment, exam, study hour and certificate with the totals, and download the
三级安全教育卡 and the personal training file. Layout only: the archive, its scope and the
documents come from ``core.training.archive`` and ``core.training.education_card``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import site_today
from core.crud.service import NotFound
from core.db import session_scope
from core.rbac import Actor
from core.training.archive import Archive, archive_of, people_in_reach
from core.training.education_card import (
    Document,
    card_pdf,
    card_xlsx,
    file_pdf,
    file_sections,
    file_xlsx,
)
from core.ui.context import lang, show_error, tr

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pick(
    cell: Any, label: str, choices: dict[int, str], preferred: int | None, key: str, **more: Any
) -> int:
    """A picker of named rows (names, never ids) opened on ``preferred`` where offered."""
    ids = list(choices)
    index = ids.index(preferred) if preferred in choices else 0
    return cell.selectbox(label, ids, index=index, format_func=choices.get, key=key, **more)


def metrics(cells: list[tuple[str, Any]]) -> None:
    """Key figures side by side, wrapping two to a row on a phone instead of stacking one
    under another as ``st.columns`` does."""
    with st.container(horizontal=True, gap="medium"):
        for label, value in cells:
            st.metric(label, value, border=True, width=160)


def render_archive(session: Session, actor: Actor) -> None:
    people = people_in_reach(session, actor)
    if not people:
        st.info(tr("archive.nobody"))
        return
    person_id = pick(
        st,
        tr("archive.person"),
        people,
        actor.person_id,
        "archive_person",
        disabled=len(people) == 1,
    )
    today = site_today()
    try:
        archive = archive_of(session, actor, person_id, today)
    except NotFound as exc:
        show_error(exc)
        return
    _header(archive)
    _downloads(actor, person_id, today, archive.person.name)
    for i, (heading, rows) in enumerate(file_sections(archive, lang())):
        with st.expander(f"{heading} ({len(rows) - 1})", expanded=i == 0):
            if len(rows) > 1:
                frame = pd.DataFrame(rows[1:], columns=rows[0]).astype(str)
                st.dataframe(frame, hide_index=True, width="stretch")
            else:
                st.caption(tr("training_archive.file.none"))


def _header(archive: Archive) -> None:
    p = archive.person
    facts = [p.department, p.post, tr("archive.hired", day=p.hired_on or "-")]
    st.markdown(f"**{p.name}** · {p.enterprise}")
    st.caption(" · ".join(f for f in facts if f))
    this_year = archive.hours_by_year.get(site_today().year, 0.0)
    late = sum(1 for a in archive.assignments if a.overdue)
    valid = sum(1 for c in archive.certificates if c.valid)
    metrics(
        [
            (tr("archive.total_hours"), f"{archive.total_hours:g}"),
            (tr("archive.year_hours"), f"{this_year:g}"),
            (tr("archive.valid_certificates"), valid),
            (tr("archive.overdue"), late),
        ]
    )


def _downloads(actor: Actor, person_id: int, today: date, name: str) -> None:
    """Four buttons; each document is built (and its export audited) only when clicked."""
    language = lang()
    buttons = [
        ("card_pdf", card_pdf, "pdf", "application/pdf", "training_archive.card.title"),
        ("card_xlsx", card_xlsx, "xlsx", XLSX, "training_archive.card.title"),
        ("file_pdf", file_pdf, "pdf", "application/pdf", "training_archive.file.title"),
        ("file_xlsx", file_xlsx, "xlsx", XLSX, "training_archive.file.title"),
    ]
    cells = st.columns(2)
    for i, (key, build, ext, mime, title) in enumerate(buttons):
        cells[i % 2].download_button(
            tr(f"archive.download_{key}"),
            _lazy(build, actor, person_id, today, language),
            file_name=f"{tr(title)}-{name}.{ext}",
            mime=mime,
            on_click="ignore",
            key=f"archive_{key}",
            width="stretch",
        )


def _lazy(build: Document, actor: Actor, person_id: int, today: date, language: str):
    """The document, made in its own transaction when the button is pressed."""

    def make() -> bytes:
        with session_scope() as session:
            return build(session, actor, person_id, today, language)

    return make
