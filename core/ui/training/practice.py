"""错题本与练习 / Wrong answers and practice: the person's wrong-answer book with the key and
analysis (a short answer, never practised, with its reference answer and an "I know it now"
self-check), and practice one question at a time with the verdict at once. Layout only: the
book and the grading are ``core.training.wrong_book`` and ``core.training.practice``; the
page maps shown option letters to the question's own before it asks for a verdict."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session

from core.clock import shown
from core.config import get_settings
from core.db import utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.training.exam_grading import CHOICE_KINDS, to_shown, to_stored
from core.training.practice import (
    PRACTISED_KINDS,
    PracticeQuestion,
    PracticeResult,
    answer,
    categories,
    draw,
    self_master,
)
from core.training.rules import LETTERS
from core.training.wrong_book import BookEntry, book
from core.ui.context import show_error, tr
from core.ui.training.exam import answer_text
from models.training_exam import QuestionKind
from models.training_learning import PracticeMode

K = QuestionKind
RUN = "practice_run"  # the drawn questions, the place, the mode and the verdicts so far
BOOK_AT = "practice_book_page"  # the page of the book shown, from 0
BOOK_PAGE = 10


def render_practice(session: Session, actor: Actor) -> None:
    """A practice run when one is under way, else the start box and the book."""
    run = st.session_state.get(RUN)
    if run is not None:
        _run(session, actor, run)
        return
    _start_box(session, actor)
    _book(session, actor, book(session, actor))


# -- the book ---------------------------------------------------------------------------------


def _book(session: Session, actor: Actor, entries: list[BookEntry]) -> None:
    """The book a page of ``BOOK_PAGE`` at a time, most recently wrong first: a long book on
    a phone stays one short scroll."""
    st.subheader(tr("practice.book_title", n=len(entries)))
    if not entries:
        st.info(tr("practice.book_empty"))
        return
    pages = -(-len(entries) // BOOK_PAGE)
    page = min(st.session_state.get(BOOK_AT, 0), pages - 1)
    need = get_settings().practice_mastery_streak
    for entry in entries[page * BOOK_PAGE : (page + 1) * BOOK_PAGE]:
        _entry(session, actor, entry, need)
    if pages > 1:
        _pager(page, pages, len(entries))


def _entry(session: Session, actor: Actor, entry: BookEntry, need: int) -> None:
    with st.container(border=True):
        st.markdown(entry.stem)
        for letter, text in zip(LETTERS, entry.options, strict=False):
            st.caption(f"{letter}. {text}")
        st.caption(
            tr(
                "practice.book_facts",
                times=entry.times_wrong,
                at=shown(entry.last_wrong_at),
                streak=entry.right_in_practice,
                need=need,
            )
        )
        st.caption(tr("practice.last_given", given=answer_text(entry.kind, entry.last_given)))
        if entry.kind in PRACTISED_KINDS:
            st.markdown(tr("practice.key", answer=answer_text(entry.kind, entry.key)))
        else:
            st.markdown(tr("practice.reference", answer=answer_text(entry.kind, entry.key)))
        if entry.analysis:
            st.caption(tr("exam.analysis", text=entry.analysis))
        if entry.kind not in PRACTISED_KINDS:
            _self_check(session, actor, entry)


def _pager(page: int, pages: int, total: int) -> None:
    """Previous / next under the page, with where the reader is."""
    first = page * BOOK_PAGE + 1
    last = min(total, first + BOOK_PAGE - 1)
    st.caption(tr("practice.book_page", first=first, last=last, n=total))
    back, forward = st.columns(2)
    if back.button(
        tr("practice.book_prev"), key="practice_book_prev", disabled=page == 0, width="stretch"
    ):
        st.session_state[BOOK_AT] = page - 1
        st.rerun()
    last_page = page >= pages - 1
    if forward.button(
        tr("practice.book_next"), key="practice_book_next", disabled=last_page, width="stretch"
    ):
        st.session_state[BOOK_AT] = page + 1
        st.rerun()


def _self_check(session: Session, actor: Actor, entry: BookEntry) -> None:
    """A short answer leaves the book when its owner says they know it (practice cannot
    grade it)."""
    st.caption(tr("practice.self_check"))
    if st.button(tr("practice.self_master"), key=f"practice_known_{entry.wrong_id}"):
        try:
            self_master(session, actor, entry.wrong_id, utcnow())
            session.commit()
        except Translatable as exc:
            session.rollback()
            show_error(exc)
            return
        st.toast(tr("practice.self_mastered"))
        st.rerun()


# -- starting ---------------------------------------------------------------------------------


def _start_box(session: Session, actor: Actor) -> None:
    with st.container(border=True):
        st.subheader(tr("practice.start_title"))
        modes = {tr(f"enum.PracticeMode.{m}"): m for m in PracticeMode}
        picked = st.radio(tr("practice.mode"), list(modes), key="practice_mode", horizontal=True)
        mode = modes.get(picked or "", PracticeMode.RANDOM)
        category = None
        if mode == PracticeMode.CATEGORY:
            found = categories(session)
            if not found:
                st.info(tr("practice.no_categories"))
                return
            category = st.selectbox(tr("practice.category"), found, key="practice_category")
        count = st.number_input(
            tr("practice.count"), min_value=1, max_value=50, value=10, key="practice_count"
        )
        if st.button(tr("practice.start"), type="primary", key="practice_start", width="stretch"):
            try:
                drawn = draw(session, actor, mode, int(count), category=category)
            except Translatable as exc:
                show_error(exc)
                return
            if not drawn:
                st.warning(tr("practice.no_questions"))
                return
            st.session_state[RUN] = {"questions": drawn, "at": 0, "mode": mode, "results": {}}
            st.rerun()


# -- one question at a time -------------------------------------------------------------------


def _run(session: Session, actor: Actor, run: dict[str, Any]) -> None:
    questions: list[PracticeQuestion] = run["questions"]
    if run["at"] >= len(questions):
        right = sum(1 for r in run["results"].values() if r[0].correct)
        st.success(tr("practice.summary", right=right, total=len(questions)))
        _finish_button()
        return
    question = questions[run["at"]]
    kind = tr(f"enum.QuestionKind.{question.kind}")
    st.caption(tr("practice.progress", n=run["at"] + 1, total=len(questions), kind=kind))
    with st.container(border=True):
        st.markdown(question.stem)
        widget = f"practice_q_{run['at']}"
        verdict = run["results"].get(run["at"])
        given = _answer_widget(question, widget, disabled=verdict is not None)
        if verdict is None:
            if st.button(tr("practice.check"), type="primary", key="practice_check"):
                if not given.strip():
                    st.warning(tr("practice.need_answer"))
                elif _check(session, actor, run, question, given):
                    st.rerun()
        else:
            _verdict(question, *verdict)
            if st.button(tr("practice.next"), type="primary", key="practice_next"):
                run["at"] += 1
                st.rerun()
    _finish_button()


def _answer_widget(question: PracticeQuestion, key: str, *, disabled: bool) -> str:
    """The answer in shown letters (choices), ``T``/``F``, or the typed text."""
    letters = list(LETTERS[: len(question.options)])
    labels = dict(zip(letters, question.options, strict=True))

    def option(letter: str) -> str:
        return f"{letter}. {labels[letter]}"

    mine = tr("exam.your_answer")
    if question.kind == K.SINGLE:
        picked = st.radio(mine, letters, format_func=option, key=key, index=None, disabled=disabled)
        return picked or ""
    if question.kind == K.MULTIPLE:
        picks = st.multiselect(
            tr("exam.pick_all"),
            letters,
            format_func=option,
            key=key,
            disabled=disabled,
            placeholder=tr("exam.pick_placeholder"),
        )
        return "".join(sorted(picks))
    if question.kind == K.TRUE_FALSE:
        # the labels themselves are the options (no format_func): a page test sets them
        truth = {tr("exam.true"): "T", tr("exam.false"): "F"}
        picked = st.radio(
            mine, list(truth), key=key, index=None, horizontal=True, disabled=disabled
        )
        return truth.get(picked or "", "")
    return st.text_input(mine, key=key, disabled=disabled)


def _check(
    session: Session, actor: Actor, run: dict[str, Any], question: PracticeQuestion, given: str
) -> bool:
    """Grade the answer (shown letters mapped to the question's own first); False when it
    was refused (the message is on the page)."""
    stored = given
    if question.kind in CHOICE_KINDS:
        stored = to_stored(given, list(question.option_order))
    try:
        result = answer(session, actor, question.question_id, stored, run["mode"], utcnow())
        session.commit()
    except Translatable as exc:
        session.rollback()
        show_error(exc)
        return False
    run["results"][run["at"]] = (result, given)
    return True


def _verdict(question: PracticeQuestion, result: PracticeResult, given: str) -> None:
    if result.correct:
        st.success(tr("practice.right"))
    else:
        st.error(tr("practice.wrong"))
    key = result.key
    if question.kind in CHOICE_KINDS:
        key = to_shown(key, list(question.option_order))
    st.markdown(tr("practice.key", answer=answer_text(question.kind, key)))
    st.caption(tr("practice.last_given", given=answer_text(question.kind, given)))
    if result.analysis:
        st.caption(tr("exam.analysis", text=result.analysis))
    if result.mastered:
        st.info(tr("practice.mastered"))
    if result.points:
        st.caption(tr("practice.points", n=result.points))


def _finish_button() -> None:
    if st.button(tr("practice.finish"), key="practice_finish", width="stretch"):
        st.session_state.pop(RUN, None)
        for key in [k for k in st.session_state if str(k).startswith("practice_q_")]:
            del st.session_state[key]  # the next run's first question starts blank
        st.rerun()
