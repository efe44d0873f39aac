"""在线考试 / Online exam: the papers an examinee may sit, the paper itself (server-held
countdown, autosave on every change) and the result. Layout only: the engine
(``core.training.exam_*``) decides everything, and the page shows nothing but the
``ExamView`` it returns, so the key never reaches an open paper."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from sqlmodel import Session

from core.clock import local
from core.db import session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.training.exam_attempts import save_answer, start_attempt, submit
from core.training.exam_papers import OpenPaper, papers_open_to
from core.training.exam_view import ExamView, ItemView, paper_for_examinee
from core.training.rules import LETTERS
from core.ui.context import current_actor, flash, lang, show_error, show_flash, tr
from models.training_exam import AttemptState, QuestionKind

K = QuestionKind
SAVED = "exam_saved"
FAILED = "exam_save_failed"
CONFIRM = "exam_confirm_submit"


def _key(attempt_id: int, position: int) -> str:
    return f"exam_{attempt_id}_{position}"


def render_exam(session: Session, actor: Actor) -> None:
    """The page: a paper when the address names an attempt, else the list of papers."""
    show_flash()
    raw = st.query_params.get("attempt")
    if raw is None:
        _paper_list(session, actor)
        return
    try:
        view = paper_for_examinee(session, actor, int(raw))
        if view.state == AttemptState.IN_PROGRESS and view.seconds_left <= 0:
            # the countdown reloaded the page at zero: hand the paper in as saved
            submit(session, actor, view.attempt_id)
            session.commit()
            st.warning(tr("exam.time_up"))
            view = paper_for_examinee(session, actor, view.attempt_id)
    except (Translatable, ValueError) as exc:
        session.rollback()
        show_error(exc if isinstance(exc, Translatable) else Translatable("error.exam.no_attempt"))
        _back_button()
        return
    session.commit()  # an attempt closed by its clock stays closed
    if view.state == AttemptState.IN_PROGRESS:
        _paper(view)
    else:
        _result(view)


# -- the list ---------------------------------------------------------------------------------


def _paper_list(session: Session, actor: Actor) -> None:
    papers = papers_open_to(session, actor)
    if not papers:
        st.info(tr("exam.no_papers"))
        return
    for paper in papers:
        with st.container(border=True):
            st.markdown(f"**{paper.name}**")
            st.caption(
                tr(
                    "exam.paper_facts",
                    minutes=paper.duration_minutes,
                    total=f"{paper.total_score:g}",
                    pass_score=f"{paper.pass_score:g}",
                    left=paper.attempts_left,
                    allowed=paper.attempts_allowed,
                )
            )
            label = "exam.resume" if paper.open_attempt is not None else "exam.start"
            st.button(
                tr(label),
                key=f"exam_start_{paper.paper_id}",
                type="primary",
                disabled=not paper.can_start,
                on_click=_start,
                args=(paper,),
                width="stretch",
            )


def _start(paper: OpenPaper) -> None:
    actor = current_actor()
    if actor is None:
        return
    try:
        with session_scope() as session:
            attempt = start_attempt(session, actor, paper.paper_id)
            attempt_id = attempt.id
    except Translatable as exc:
        flash("error", exc.message(lang()))
        return
    st.query_params["attempt"] = str(attempt_id)


def _back_button() -> None:
    if st.button(tr("exam.back_to_list"), key="exam_back"):
        st.query_params.clear()
        st.rerun()


# -- the paper --------------------------------------------------------------------------------


def _countdown(view: ExamView) -> None:
    """Minutes:seconds counted down in the browser from the server's seconds left; at zero
    the page reloads and the server hands the paper in. No Streamlit rerun per second."""
    clock_id = f"exam-clock-{view.attempt_id}"
    label = json.dumps(tr("exam.time_left"))
    script = f"""
<div id="{clock_id}" style="font-size:1.5rem;font-weight:600;padding:.3rem .6rem;
 border-radius:.5rem;background:#eef4ff;display:inline-block"></div>
<script>
(function() {{
  if (window.__examClock) clearInterval(window.__examClock);
  const end = Date.now() + {int(view.seconds_left)} * 1000;
  const label = {label};
  function tick() {{
    const el = document.getElementById("{clock_id}");
    if (!el) {{ clearInterval(window.__examClock); return; }}
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    el.textContent = label + " " + m + ":" + String(s).padStart(2, "0");
    if (left <= 60) el.style.background = "#ffe9e6";
    if (left <= 0) {{ clearInterval(window.__examClock); window.location.reload(); }}
  }}
  tick();
  window.__examClock = setInterval(tick, 1000);
}})();
</script>"""
    st.html(script, unsafe_allow_javascript=True)


def _paper(view: ExamView) -> None:
    st.subheader(view.paper_name)
    minutes, seconds = divmod(view.seconds_left, 60)
    st.caption(
        tr(
            "exam.paper_head",
            attempt=view.attempt_no,
            total=len(view.items),
            until=local(view.deadline_at).strftime("%H:%M"),
        )
    )
    _countdown(view)
    st.caption(tr("exam.time_left_text", minutes=minutes, seconds=f"{seconds:02d}"))
    for item in view.items:
        _question_card(view.attempt_id, item)
    _submit_box(view)


@st.fragment
def _question_card(attempt_id: int, item: ItemView) -> None:
    """One question in its own fragment: an answer's autosave reruns this card only, not
    the page (600 people answering at once must not each redraw the menu and the paper)."""
    with st.container(border=True):
        _question(attempt_id, item)
        _save_status(item.position)


def _question(attempt_id: int, item: ItemView) -> None:
    key = _key(attempt_id, item.position)
    label = tr(
        "exam.question_head",
        n=item.position,
        kind=tr(f"enum.QuestionKind.{item.kind}"),
        points=f"{item.points:g}",
    )
    st.markdown(f"**{label}**  \n{item.stem}")
    args = (attempt_id, item.position, key)
    letters = list(LETTERS[: len(item.options)])
    shown = dict(zip(letters, item.options, strict=True))

    def option(letter: str) -> str:
        return f"{letter}. {shown[letter]}"

    if item.kind == K.SINGLE:
        _seed(key, item.answer if item.answer in letters else None)
        st.radio(
            tr("exam.your_answer"), letters, format_func=option, key=key, on_change=_save, args=args
        )
    elif item.kind == K.TRUE_FALSE:
        _seed(key, item.answer if item.answer in ("T", "F") else None)
        st.radio(
            tr("exam.your_answer"),
            ["T", "F"],
            format_func=lambda v: tr("exam.true" if v == "T" else "exam.false"),
            key=key,
            on_change=_save,
            args=args,
            horizontal=True,
        )
    elif item.kind == K.MULTIPLE:
        _seed(key, [x for x in (item.answer or "") if x in letters])
        st.multiselect(
            tr("exam.pick_all"),
            letters,
            format_func=option,
            key=key,
            on_change=_save,
            args=args,
            placeholder=tr("exam.pick_placeholder"),
        )
    elif item.kind == K.FILL_IN:
        _seed(key, item.answer or "")
        st.text_input(tr("exam.your_answer"), key=key, on_change=_save, args=args)
    else:
        _seed(key, item.answer or "")
        st.text_area(tr("exam.your_answer"), key=key, on_change=_save, args=args, height=120)


def _seed(key: str, value: Any) -> None:
    """The saved answer as the widget's value, once: later runs keep what the examinee
    typed (and saved)."""
    if key not in st.session_state:
        st.session_state[key] = value


def _save(attempt_id: int, position: int, key: str) -> None:
    """Autosave: one answer, the moment its widget changes."""
    actor = current_actor()
    if actor is None:
        return
    value = st.session_state.get(key)
    try:
        with session_scope() as session:
            at = save_answer(session, actor, attempt_id, position, value)
    except Translatable as exc:
        st.session_state[f"{FAILED}_{position}"] = exc.message(lang())
        st.session_state.pop(f"{SAVED}_{position}", None)
        return
    st.session_state.pop(f"{FAILED}_{position}", None)
    st.session_state[f"{SAVED}_{position}"] = local(at).strftime("%H:%M:%S")


def _save_status(position: int) -> None:
    """Under the question: its last save, or why it failed."""
    failed = st.session_state.get(f"{FAILED}_{position}")
    if failed:
        st.error(failed)
    saved = st.session_state.get(f"{SAVED}_{position}")
    if saved:
        st.caption("✓ " + tr("exam.saved", n=position, at=saved))


@st.fragment
def _submit_box(view: ExamView) -> None:
    """Hand in, in two steps, in a fragment of its own: asking for the confirmation redraws
    this box only; the hand-in itself redraws the page with the result."""
    if not st.session_state.get(CONFIRM):
        st.button(
            tr("exam.submit"),
            type="primary",
            key="exam_submit",
            width="stretch",
            on_click=st.session_state.__setitem__,
            args=(CONFIRM, True),
        )
        return
    actor = current_actor()
    if actor is None:
        return
    with session_scope() as session:  # the answers saved since the page was drawn count
        answered = paper_for_examinee(session, actor, view.attempt_id).answered
    missing = len(view.items) - answered
    st.warning(
        tr("exam.confirm_missing", n=missing) if missing else tr("exam.confirm_all_answered")
    )
    st.caption(tr("exam.answered_count", answered=answered, total=len(view.items)))
    left, right = st.columns(2)
    right.button(
        tr("exam.keep_answering"),
        key="exam_submit_no",
        on_click=st.session_state.pop,
        args=(CONFIRM, None),
    )
    if left.button(tr("exam.confirm_submit"), type="primary", key="exam_submit_yes"):
        st.session_state.pop(CONFIRM, None)
        try:
            with session_scope() as session:
                submit(session, actor, view.attempt_id)
        except Translatable as exc:
            show_error(exc)
            return
        st.rerun()  # the whole page: the paper gives way to the result


# -- the result -------------------------------------------------------------------------------


def _result(view: ExamView) -> None:
    st.subheader(view.paper_name)
    if view.auto_submitted:
        st.info(tr("exam.auto_submitted"))
    total = sum(i.points for i in view.items)
    if view.state == AttemptState.SUBMITTED:
        st.info(tr("exam.waiting_marking"))
        auto = sum(i.awarded or 0 for i in view.items)
        st.metric(tr("exam.score_so_far"), f"{auto:g} / {total:g}")
    else:
        st.metric(tr("exam.score"), f"{(view.score or 0):g} / {total:g}")
        if view.passed:
            st.success(tr("exam.passed"))
        else:
            st.error(tr("exam.failed"))
    if any(i.key is not None for i in view.items):
        st.markdown(f"**{tr('exam.answers_title')}**")
        for item in view.items:
            with st.container(border=True):
                _reviewed(item)
    _back_button()


def _reviewed(item: ItemView) -> None:
    st.markdown(f"**{item.position}.** {item.stem}")
    for letter, text in zip(LETTERS, item.options, strict=False):
        st.caption(f"{letter}. {text}")
    st.caption(
        tr(
            "exam.review_line",
            given=answer_text(item.kind, item.answer),
            key=answer_text(item.kind, item.key),
            awarded="-" if item.awarded is None else f"{item.awarded:g}",
            points=f"{item.points:g}",
        )
    )
    if item.analysis:
        st.caption(tr("exam.analysis", text=item.analysis))


def answer_text(kind: str, value: str | None) -> str:
    """An answer as a person reads it: true/false in words, nothing as "no answer"."""
    if not value:
        return tr("exam.no_answer")
    if kind == K.TRUE_FALSE:
        return tr("exam.true" if value == "T" else "exam.false")
    return value
