"""The inspector's rounds on a phone: one column, big buttons, few words.

The list shows what is due (overdue first); a round opens as one check line at a time with
three full-width verdict buttons, so it works with a thumb and one hand. Every write goes
through ``core.inspection.rounds`` in its own transaction; a refusal shows its message in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from core.clock import site_today
from core.crud import service
from core.crud.lookup import options
from core.db import session_scope
from core.i18n import Translatable
from core.inspection.rounds import (
    check_in,
    checkin_target,
    photo_thumbnail,
    submit,
    task_for,
    task_items,
    tick,
)
from core.inspection.schedule import generate_tasks
from core.inspection.todo import TaskCard, my_tasks
from core.rbac import Actor
from core.ui.context import flash, lang, show_flash, tr
from core.ui.uploads import upload_limit
from models.risk_inspection import CheckResult, InspectionTaskItem

TASK, ITEM, FAILING, GENERATED = "insp_task", "insp_item", "insp_failing", "insp_generated"
# Text symbols every system font has (emoji fonts are missing on kiosk PCs and servers).
ICONS = {CheckResult.PASS: "✔", CheckResult.FAIL: "✘", CheckResult.NA: "–", None: "○"}
PHOTO_TYPES = ["jpg", "jpeg", "png", "webp"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def plain(text: str | None) -> str:
    """User text shown through markdown as typed (no links, emphasis or badges from it)."""
    return _MD_SPECIAL.sub(r"\\\1", text or "")


def render_my_tasks(actor: Actor) -> None:
    task_id = st.session_state.get(TASK)
    if task_id is None:  # an open round uses the screen for its name instead
        st.title(tr("page.risk_my_tasks"))
    show_flash()
    if actor.person_id is None:
        st.info(tr("inspection.no_person"))
        return
    today = site_today()
    _generate_once(actor, today)
    if task_id is not None:
        _task(actor, task_id, today)
    else:
        _list(actor, today)


def _generate_once(actor: Actor, today: date) -> None:
    """Rounds due today exist even when cron has not run: make the user's own, once a day."""
    key = f"{actor.person_id}:{today.isoformat()}"
    if st.session_state.get(GENERATED) == key:
        return
    try:
        with session_scope() as session:
            generate_tasks(session, today=today, assignee_id=actor.person_id)
    except OperationalError:  # the database is busy: cron or the next visit will do it
        return
    st.session_state[GENERATED] = key


def _badge(card_due: date, today: date) -> str:
    late = (today - card_due).days
    if late > 0:
        return f":red-badge[{tr('inspection.badge_overdue', days=late)}]"
    if late == 0:
        return f":orange-badge[{tr('inspection.badge_today')}]"
    return f":blue-badge[{tr('inspection.badge_due', date=card_due.strftime('%m-%d'))}]"


def _list(actor: Actor, today: date) -> None:
    with session_scope() as session:
        cards = my_tasks(session, actor, today=today)
    due = [c for c in cards if c.due_date <= today]
    later = [c for c in cards if c.due_date > today]
    if not due:
        st.success(tr("inspection.all_done"))
    for card in due:
        _card(card, today)
    if later:
        with st.expander(tr("inspection.upcoming", count=len(later))):
            for card in later:
                _card(card, today)


def _card(card: TaskCard, today: date) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(card.name)}**")
        where = ""
        if card.checkin_required and not card.checked_in:
            where = f" · :gray-badge[{tr('inspection.needs_checkin')}]"
        done = tr("inspection.progress", done=card.ticked, total=card.total)
        st.markdown(f"{_badge(card.due_date, today)} · {done}{where}")
        urgent = card.due_date <= today
        if st.button(
            tr("inspection.open"),
            key=f"insp_open_{card.id}",
            type="primary" if urgent else "secondary",
            use_container_width=True,
        ):
            st.session_state[TASK], st.session_state[ITEM] = card.id, None
            st.rerun()


def _back() -> None:
    for key in (TASK, ITEM, FAILING):
        st.session_state.pop(key, None)


def run_write(action: Callable[[Session], Any], done: str | None = None) -> bool:
    """One write in one transaction; a refusal is shown where the user is looking."""
    try:
        with session_scope() as session:
            action(session)
    except service.ValidationFailed as exc:
        st.error("；".join(p.message(lang()) for p in exc.problems))
        return False
    except Translatable as exc:
        st.error(exc.message(lang()))
        return False
    if done:
        flash("success", done)
    return True


def _task(actor: Actor, task_id: int, today: date) -> None:
    if st.button(tr("inspection.back"), key="insp_back"):
        _back()
        st.rerun()
    try:
        with session_scope() as session:
            task = task_for(session, actor, task_id)
            items = task_items(session, task_id)
            target = checkin_target(session, task)
            areas = options(session, "area", actor) if target.required else {}
    except Translatable as exc:
        st.error(exc.message(lang()))
        _back()
        return
    st.subheader(plain(task.name), anchor=False)
    ticked = sum(1 for i in items if i.result is not None)
    progress = tr("inspection.progress", done=ticked, total=len(items))
    st.markdown(f"{_badge(task.due_date, today)} · {progress}")
    st.progress(ticked / len(items) if items else 1.0)
    if target.required and not task.checkin_location:
        _checkin(actor, task_id, target, areas)
        return
    if task.checkin_location:
        st.caption(tr("inspection.checked_in", place=task.checkin_location))
    if items:
        _item(actor, items)
    if st.button(
        tr("inspection.submit"), key="insp_submit", type="primary", use_container_width=True
    ):
        issues: list[int] = []

        def close(s: Session) -> None:
            issues.append(submit(s, actor, task_id).issues_found)

        if run_write(close):
            key = "inspection.submitted_issues" if issues[0] else "inspection.submitted_ok"
            flash("success", tr(key, count=issues[0]))
            _back()
            st.rerun()


def _checkin(actor: Actor, task_id: int, target: Any, areas: dict[int, str]) -> None:
    if target.area_id is not None and target.area_id not in areas:
        areas = {target.area_id: target.area_name or f"#{target.area_id}", **areas}
    with st.container(border=True):
        st.markdown(f"**{tr('inspection.checkin')}**")
        if target.area_name or target.unit_code:
            st.caption(tr("inspection.checkin_where", place=target.area_name or target.unit_code))
        ids = [None, *areas]
        area = st.selectbox(
            tr("inspection.checkin_area"),
            ids,
            format_func=lambda v: tr("common.none") if v is None else areas[v],
            key=f"insp_area_{task_id}",
        )
        code = st.text_input(tr("inspection.checkin_code"), key=f"insp_code_{task_id}")
        if st.button(
            tr("inspection.checkin_button"),
            key="insp_checkin",
            type="primary",
            use_container_width=True,
        ) and run_write(lambda s: check_in(s, actor, task_id, area_id=area, code=code)):
            st.rerun()


def _current(items: list[InspectionTaskItem]) -> int:
    index = st.session_state.get(ITEM)
    if index is None or not 0 <= index < len(items):
        index = next((i for i, item in enumerate(items) if item.result is None), 0)
        st.session_state[ITEM] = index
    return index


def _item(actor: Actor, items: list[InspectionTaskItem]) -> None:
    index = _current(items)
    item = items[index]
    with st.container(border=True):
        st.markdown(f"**{index + 1} / {len(items)}** {ICONS[item.result]}")
        st.markdown(plain(item.content))
        if item.standard:
            st.caption(plain(item.standard))
        verdicts = (
            (CheckResult.PASS, "inspection.pass"),
            (CheckResult.FAIL, "inspection.fail"),
            (CheckResult.NA, "inspection.na"),
        )
        failing = st.session_state.get(FAILING) == item.id
        for verdict, label in verdicts:
            chosen = (failing and verdict == CheckResult.FAIL) or (
                not failing and item.result == verdict
            )
            pressed = st.button(
                f"{ICONS[verdict]} {tr(label)}",
                key=f"insp_{verdict.value}_{item.id}",
                type="primary" if chosen else "secondary",
                use_container_width=True,
                # Set before the rerun draws the buttons, so "fail" lights up at once.
                on_click=_mark_failing if verdict == CheckResult.FAIL else None,
                args=(item.id,) if verdict == CheckResult.FAIL else None,
            )
            if (
                pressed
                and verdict != CheckResult.FAIL
                and run_write(lambda s, v=verdict: tick(s, actor, item.id, result=v))
            ):
                st.session_state.pop(FAILING, None)
                st.session_state[ITEM] = _next_open(items, index)
                st.rerun()
        if st.session_state.get(FAILING) == item.id or item.result == CheckResult.FAIL:
            _failure(actor, items, index)
    _pager(items, index)


def _mark_failing(item_id: int) -> None:
    st.session_state[FAILING] = item_id


def _next_open(items: list[InspectionTaskItem], index: int) -> int:
    """The next unticked line after this one (wrapping), or the next line when all are."""
    order = list(range(index + 1, len(items))) + list(range(index))
    return next((i for i in order if items[i].result is None), min(index + 1, len(items) - 1))


def _failure(actor: Actor, items: list[InspectionTaskItem], index: int) -> None:
    item = items[index]
    remark = st.text_area(
        tr("inspection.remark"),
        value=item.remark or "",
        placeholder=tr("inspection.remark_hint"),
        key=f"insp_remark_{item.id}",
    )
    if item.photo_id is not None:
        _thumbnail(actor, item.id)
    if st.toggle(tr("inspection.use_camera"), key=f"insp_cam_{item.id}"):
        photo = st.camera_input(tr("inspection.photo"), key=f"insp_camera_{item.id}")
    else:
        photo = st.file_uploader(
            max_upload_size=upload_limit(),
            label=tr("inspection.photo"),
            type=PHOTO_TYPES,
            key=f"insp_up_{item.id}",
        )
    upload = (photo.name or "photo.jpg", photo.getvalue()) if photo is not None else None
    if st.button(
        tr("inspection.save_fail"),
        key=f"insp_savefail_{item.id}",
        type="primary",
        use_container_width=True,
    ) and run_write(
        lambda s: tick(s, actor, item.id, result=CheckResult.FAIL, remark=remark, photo=upload)
    ):
        st.session_state.pop(FAILING, None)
        st.session_state[ITEM] = _next_open(items, index)
        st.rerun()


def _thumbnail(actor: Actor, item_id: int) -> None:
    with session_scope() as session:
        thumb = photo_thumbnail(session, actor, item_id)
    if thumb:
        st.image(thumb, width=160)


def _pager(items: list[InspectionTaskItem], index: int) -> None:
    left, right = st.columns(2)
    if left.button(
        tr("inspection.previous"), key="insp_prev", disabled=index == 0, use_container_width=True
    ):
        st.session_state[ITEM] = index - 1
        st.rerun()
    last = index >= len(items) - 1
    if right.button(
        tr("inspection.next"), key="insp_next", disabled=last, use_container_width=True
    ):
        st.session_state[ITEM] = index + 1
        st.rerun()
    picked = st.selectbox(
        tr("inspection.jump"),
        range(len(items)),
        index=index,
        format_func=lambda i: f"{ICONS[items[i].result]} {i + 1}. {items[i].content[:40]}",
        key=f"insp_jump_{items[index].task_id}_{index}",
    )
    if picked != index:
        st.session_state[ITEM] = picked
        st.rerun()
