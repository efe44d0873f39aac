"""Live violation feed (违章实时推送): the newest violations, refreshed in a fragment (no page
reload), each with its snapshot and, while new, the review buttons."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import streamlit as st
from PIL import Image, ImageDraw

from core.clock import shown
from core.db import session_scope, utcnow
from core.i18n import Translatable
from core.rbac import Actor
from core.ui.context import lang, tr
from core.ui.nav import guard
from core.video.review import (
    FeedItem,
    cameras_for,
    can_review,
    feed,
    hazard_number,
    review,
    snapshot_image,
)
from models.enums import Action, Module
from models.video import ViolationState

REFRESH_S = 10
SIZES = (10, 20, 50)
THUMB = (320, 180)
STATE_COLOUR = {"new": "orange", "confirmed": "red", "false_alarm": "gray"}
MESSAGE = "video_feed_message"
MESSAGE_S = 30
MD_SPECIAL = set("\\`*_{}[]()<>#+-.!|:~$")


def _md(text: str) -> str:
    """Names typed by users shown as plain text inside markdown (no links, no emphasis)."""
    return "".join(f"\\{c}" if c in MD_SPECIAL else c for c in text)


def _labelled(label: str, value: str) -> str:
    return tr("video_ui.labelled", label=tr(label), value=value)


def sketch(item: FeedItem) -> bytes:
    """A stand-in thumbnail when there is no snapshot: the zone and the boxes on a blank frame,
    so the reviewer still sees where in the picture the rule fired."""
    width, height = item.frame
    sx, sy = THUMB[0] / max(width, 1), THUMB[1] / max(height, 1)
    image = Image.new("RGB", THUMB, (46, 52, 64))
    draw = ImageDraw.Draw(image, "RGBA")
    if len(item.polygon) >= 3:
        points = [(float(x) * sx, float(y) * sy) for x, y in item.polygon]
        draw.polygon(points, fill=(255, 193, 7, 60), outline=(255, 193, 7, 255))
    for box in item.boxes:
        xyxy = box.get("xyxy") if isinstance(box, dict) else box
        if not xyxy or len(xyxy) != 4:
            continue
        x1, y1, x2, y2 = (float(v) for v in xyxy)
        draw.rectangle((x1 * sx, y1 * sy, x2 * sx, y2 * sy), outline=(230, 57, 70), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _filters(actor: Actor) -> tuple[int | None, str | None, int, bool]:
    with session_scope() as session:
        cameras = cameras_for(session, actor)
    states = {"new": tr("enum.ViolationState.new"), "all": tr("common.all")}
    states |= {s: tr(f"enum.ViolationState.{s}") for s in ("confirmed", "false_alarm")}
    camera_labels = {None: tr("common.all"), **cameras}
    c1, c2, c3, c4 = st.columns([4, 3, 2, 2], vertical_alignment="bottom")
    camera = c1.selectbox(
        tr("video_ui.camera"),
        list(camera_labels),
        format_func=camera_labels.get,
        key="video_feed_camera",
    )
    state = c2.selectbox(
        tr("video_ui.state"), list(states), format_func=states.get, key="video_feed_state"
    )
    size = c3.selectbox(tr("video_ui.show"), SIZES, index=1, key="video_feed_size")
    auto = c4.toggle(tr("video_ui.auto_refresh"), value=True, key="video_feed_auto")
    return camera, None if state == "all" else state, int(size), auto


def _age(moment: datetime, now: datetime) -> str:
    seconds = int((now - moment).total_seconds())
    if seconds < -5:  # the detector's clock runs ahead of this server's
        return tr("video_ui.clock_ahead")
    seconds = max(0, seconds)
    if seconds < 60:
        return tr("video_ui.ago_s", n=seconds)
    if seconds < 3600:
        return tr("video_ui.ago_min", n=seconds // 60)
    if seconds < 86400:
        return tr("video_ui.ago_h", n=seconds // 3600)
    return tr("video_ui.ago_d", n=seconds // 86400)


def _do_review(actor: Actor, item: FeedItem, decision: str) -> None:
    comment = st.session_state.get(f"vf_comment_{item.id}") or None
    wants_hazard = bool(st.session_state.get(f"vf_hazard_{item.id}"))
    try:
        with session_scope() as session:
            row = review(session, actor, item.id, decision, comment, open_hazard=wants_hazard)
            number = hazard_number(session, actor, row)
    except Translatable as exc:
        st.session_state[MESSAGE] = ("error", exc.message(lang()), utcnow())
        return
    text = tr(f"video_ui.reviewed.{decision}", id=item.id)
    if number:
        text += " " + tr("video_ui.hazard_opened", number=number)
    st.session_state[MESSAGE] = ("success", text, utcnow())


def _review_controls(actor: Actor, item: FeedItem) -> None:
    st.text_input(
        tr("video_ui.comment"),
        key=f"vf_comment_{item.id}",
        placeholder=tr("video_ui.comment_hint"),
        max_chars=500,
    )
    st.checkbox(
        tr("video_ui.open_hazard"),
        value=item.auto_hazard,
        disabled=item.auto_hazard or not actor.can(Module.HAZARD, Action.CREATE),
        help=tr("video_ui.auto_hazard_help") if item.auto_hazard else None,
        key=f"vf_hazard_{item.id}",
    )
    b1, b2 = st.columns(2)
    # Callbacks write before the (fragment) rerun draws the list again.
    b1.button(
        tr("video_ui.confirm"),
        key=f"vf_confirm_{item.id}",
        type="primary",
        on_click=_do_review,
        args=(actor, item, ViolationState.CONFIRMED),
    )
    b2.button(
        tr("video_ui.false_alarm"),
        key=f"vf_false_{item.id}",
        on_click=_do_review,
        args=(actor, item, ViolationState.FALSE_ALARM),
    )


def _card(actor: Actor, item: FeedItem, thumb: bytes | None, now: datetime) -> None:
    with st.container(border=True, key=f"vf_card_{item.id}"):
        pic, info, act = st.columns([3, 4, 4])
        if thumb:
            pic.image(thumb, width="stretch")
        else:
            pic.image(sketch(item), width="stretch", caption=tr("video_ui.no_snapshot"))
        kind = tr(f"enum.RuleKind.{item.rule_kind}")
        state = tr(f"enum.ViolationState.{item.state}")
        info.badge(state, color=STATE_COLOUR.get(item.state, "gray"))
        title = kind if not item.rule or item.rule == kind else f"{item.rule} · {kind}"
        when = tr(
            "video_ui.when",
            time=shown(item.occurred_at, "%Y-%m-%d %H:%M:%S"),
            age=_age(item.occurred_at, now),
        )
        lines = [
            f"**{_md(title)}**",
            _labelled("video_ui.camera", _md(item.camera)),
            *([_labelled("video_ui.zone", _md(item.zone))] if item.zone else []),
            _labelled("video_ui.time", when),
        ]
        info.markdown("  \n".join(lines))
        track = "—" if item.track_id is None else str(item.track_id)
        info.caption(
            tr("video_ui.track_conf", track=track, confidence=f"{item.confidence:.0%}", id=item.id)
        )
        with act:
            if item.state == ViolationState.NEW and can_review(actor):
                _review_controls(actor, item)
            elif item.state == ViolationState.NEW:
                st.caption(tr("video_ui.waiting_review"))
            else:
                if item.review_comment:
                    st.text(_labelled("video_ui.comment", item.review_comment))
                if item.hazard_id and actor.can(Module.HAZARD, Action.VIEW):
                    st.page_link(
                        "pages/hazard_hazard.py",
                        label=tr(
                            "video_ui.open_linked_hazard",
                            number=item.hazard_number or item.hazard_id,
                        ),
                        query_params={"id": str(item.hazard_id)},
                    )


def _feed_body(actor: Actor, camera_id: int | None, state: str | None, size: int) -> None:
    now = utcnow()
    kind, text, at = st.session_state.get(MESSAGE, (None, None, now))
    if kind and (now - at).total_seconds() < MESSAGE_S:  # outlives a few auto-refreshes
        getattr(st, kind)(text)
    with session_scope() as session:
        items = feed(session, actor, camera_id=camera_id, state=state, limit=size)
        thumbs = {
            i.id: snapshot_image(session, actor, i.id) if i.snapshot_id else None for i in items
        }
    st.caption(tr("video_ui.refreshed", time=shown(now, "%H:%M:%S"), count=len(items)))
    if not items:
        st.info(tr("video_ui.feed_empty"))
        return
    for item in items:
        _card(actor, item, thumbs.get(item.id), now)


def render() -> None:
    actor = guard(Module.VIDEO)
    st.title(tr("page.video_feed"))
    camera_id, state, size, auto = _filters(actor)
    run_every = timedelta(seconds=REFRESH_S) if auto else None
    st.fragment(_feed_body, run_every=run_every)(actor, camera_id, state, size)
