"""数据集与模型: reviewed snapshots out as a YOLO dataset (with a box editor to fix labels
first), and a newly trained model in, assigned to cameras — the flywheel's two ends."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw

from core.clock import shown
from core.config import get_settings
from core.crud.lookup import options
from core.db import session_scope
from core.rbac import Actor
from core.ui.context import show_flash, tr
from core.ui.nav import guard
from core.ui.steps import attempt, problems
from core.ui.uploads import upload_limit
from core.ui.widgets import one_or_all
from core.video.dataset import (
    DEFAULT_CLASSES,
    LABEL_ROLES,
    DatasetFilter,
    export_yolo,
    frame_image,
    preview,
    relabel,
    reviewed,
)
from core.video.review import DECISIONS, cameras_for, can_review
from core.video.weights import ROLES, ModelInfo, assign, import_model, list_models
from models.enums import Action, Module

KEY = "video_models"
MODEL_MAX_MB = 500  # a YOLO11x ONNX is ~220 MB; the app-wide limit is for photos
ZIP = f"{KEY}_zip"
BOX_COLOURS = {"person": (31, 119, 180), "head": (230, 57, 70), "helmet": (44, 160, 44)}
BOX_COLUMNS = ("role", "x1", "y1", "x2", "y2", "confidence", "track_id")


def _role(role: str) -> str:
    return tr(f"enum.DetectionRole.{role}")


def _filters(actor: Actor) -> DatasetFilter:
    with session_scope() as session:
        cameras = cameras_for(session, actor)
    states = {str(d): tr(f"enum.ViolationState.{d}") for d in DECISIONS}
    c1, c2, c3 = st.columns([3, 3, 4])
    camera_id = one_or_all(c1, tr("video_ui.camera"), cameras, f"{KEY}_camera")
    period = c2.date_input(tr("video_ui.period"), value=(), key=f"{KEY}_period")
    picked = c3.multiselect(
        tr("video_models.states"),
        list(states),
        default=list(states),
        format_func=states.get,
        key=f"{KEY}_states",
    )
    classes = st.multiselect(
        tr("video_models.classes"),
        list(LABEL_ROLES),
        default=list(DEFAULT_CLASSES),
        format_func=_role,
        help=tr("video_models.classes_help"),
        key=f"{KEY}_classes",
    )
    start = period[0] if period else None
    end = period[-1] if period else None
    return DatasetFilter(camera_id, start, end, tuple(picked), tuple(classes or DEFAULT_CLASSES))


def _export(actor: Actor, filters: DatasetFilter) -> None:
    with session_scope() as session:
        summary = preview(session, actor, filters)
    cells = st.columns(4)
    cells[0].metric(tr("video_models.images"), summary.images)
    cells[1].metric(tr("video_models.train_val"), f"{summary.train} / {summary.val}")
    cells[2].metric(tr("video_models.skipped"), summary.skipped_no_frame)
    cells[3].metric(tr("video_models.duplicates"), summary.duplicates)
    boxes = pd.DataFrame(
        {
            tr("video_models.class"): [_role(c) for c in filters.classes],
            tr("video_models.boxes"): [summary.boxes.get(c, 0) for c in filters.classes],
        }
    )
    st.dataframe(boxes, hide_index=True)
    if summary.boxes_dropped:
        st.caption(tr("video_models.boxes_dropped", n=summary.boxes_dropped))
    if not summary.images and summary.skipped_no_frame:
        st.info(tr("video_models.frames_hint"))
    if st.button(tr("video_models.prepare"), disabled=not summary.images, key=f"{KEY}_prepare"):
        with session_scope() as session:
            st.session_state[ZIP] = (filters, export_yolo(session, actor, filters))
    built, data = st.session_state.get(ZIP, (None, b""))
    if built == filters:  # a zip built for other filters is not what the counts above say
        st.download_button(
            tr("video_models.download"),
            data,
            file_name="safeloop_yolo_dataset.zip",
            mime="application/zip",
            type="primary",
            key=f"{KEY}_download",
        )


def drawn(picture: bytes, labels: list[dict[str, Any]]) -> bytes:
    """The frame with its boxes outlined and numbered as in the table below it."""
    with Image.open(io.BytesIO(picture)) as source:
        image = source.convert("RGB")
    draw = ImageDraw.Draw(image)
    for number, box in enumerate(labels, start=1):
        colour = BOX_COLOURS.get(str(box.get("role")), (255, 193, 7))
        x1, y1, x2, y2 = (float(v) for v in box["xyxy"])
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=2)
        draw.text((x1 + 2, y1 + 1), str(number), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _boxes(labels: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "role": b.get("role"),
            **dict(zip(("x1", "y1", "x2", "y2"), b.get("xyxy") or [None] * 4, strict=True)),
            "confidence": b.get("confidence"),
            "track_id": b.get("track_id"),
        }
        for b in labels
    ]
    return pd.DataFrame(rows, columns=list(BOX_COLUMNS))


def _labels(edited: pd.DataFrame) -> list[dict[str, Any]]:
    """Editor rows back to label dicts; blank cells become None (the check names them)."""
    out = []
    for row in edited.astype(object).where(edited.notna(), None).to_dict("records"):
        if all(row.get(c) is None for c in BOX_COLUMNS):
            continue  # an added row left empty
        out.append(
            {
                "role": row["role"],
                "xyxy": [row[c] for c in ("x1", "y1", "x2", "y2")],
                "confidence": row["confidence"],
                "track_id": row["track_id"],
            }
        )
    return out


def _relabel(actor: Actor, filters: DatasetFilter) -> None:
    st.subheader(tr("video_models.relabel"))
    with session_scope() as session:
        rows = reviewed(session, actor, filters)
        cameras = cameras_for(session, actor)
    if not rows:
        st.info(tr("video_models.none_reviewed"))
        return
    by_id = {r.id: r for r in rows}
    violation_id = st.selectbox(
        tr("video_models.violation"),
        list(by_id),
        format_func=lambda i: tr(
            "video_models.violation_item",
            id=i,
            time=shown(by_id[i].occurred_at),
            camera=cameras.get(by_id[i].camera_id, f"#{by_id[i].camera_id}"),
            state=tr(f"enum.ViolationState.{by_id[i].state}"),
        ),
        key=f"{KEY}_violation",
    )
    row = by_id[violation_id]
    with session_scope() as session:
        picture = frame_image(session, actor, violation_id)
    labels = [b for b in row.labels or [] if isinstance(b, dict) and len(b.get("xyxy") or []) == 4]
    if picture:
        st.image(drawn(picture, labels), width="stretch")
    else:
        st.warning(tr("video_models.no_frame"))
    edited = st.data_editor(
        _boxes(labels),
        num_rows="dynamic",
        hide_index=False,
        column_config={
            "role": st.column_config.SelectboxColumn(
                tr("video_models.role"), options=list(LABEL_ROLES), required=True
            ),
            **{c: st.column_config.NumberColumn(c, min_value=0) for c in ("x1", "y1", "x2", "y2")},
            "confidence": st.column_config.NumberColumn(
                tr("video_models.confidence"), min_value=0.0, max_value=1.0
            ),
            "track_id": st.column_config.NumberColumn(tr("video_models.track"), step=1),
        },
        key=f"{KEY}_boxes_{violation_id}",
    )
    slot = f"{KEY}_relabel"
    problems(slot)
    if can_review(actor) and st.button(
        tr("video_models.save_boxes"), type="primary", key=f"{KEY}_save"
    ):
        labels = _labels(edited)
        if attempt(
            slot,
            lambda s: relabel(s, actor, violation_id, labels),
            tr("video_models.boxes_saved", id=violation_id),
        ):
            st.session_state.pop(ZIP, None)  # the prepared zip holds the old boxes
        st.rerun()


def _model_table(models: list[ModelInfo]) -> None:
    frame = pd.DataFrame(
        {
            tr("video_models.file"): [m.file for m in models],
            tr("video_models.classes"): [", ".join(m.classes) for m in models],
            tr("video_models.origin"): [
                tr("video_models.shipped" if m.shipped else "video_models.imported") for m in models
            ],
            tr("video_models.size_mb"): [round(m.size / 1_048_576, 1) for m in models],
            tr("video_models.uploaded_by"): [m.uploaded_by or "—" for m in models],
            tr("video_models.uploaded_at"): [m.uploaded_at or "—" for m in models],
        }
    )
    st.dataframe(frame, hide_index=True)


def _import_form(actor: Actor) -> None:
    slot = f"{KEY}_import"
    with st.form(slot, clear_on_submit=True):
        upload = st.file_uploader(
            label=tr("video_models.model_file"),
            type=["onnx", "pt"],
            max_upload_size=MODEL_MAX_MB,
        )
        sidecar = st.file_uploader(
            max_upload_size=upload_limit(), label=tr("video_models.sidecar"), type=["json"]
        )
        names = st.text_input(tr("video_models.names"), help=tr("video_models.names_help"))
        pressed = st.form_submit_button(tr("video_models.import"), type="primary")
    problems(slot)
    if pressed and upload is not None:
        data, filename = upload.getvalue(), upload.name
        extra = sidecar.getvalue() if sidecar is not None else None
        given = [n for n in names.replace("，", ",").split(",") if n.strip()]
        attempt(
            slot,
            lambda s: import_model(
                s, actor, get_settings(), data, filename, names=given, sidecar=extra
            ),
            tr("video_models.imported_ok", filename=filename),
        )
        st.rerun()


def _assign_form(actor: Actor, models: list[ModelInfo]) -> None:
    st.subheader(tr("video_models.assign"))
    with session_scope() as session:
        cameras = options(session, "camera", actor)
    if not cameras:
        st.info(tr("video_setup.no_camera"))
        return
    by_file = {m.file: m for m in models}
    if not by_file:
        return
    c1, c2 = st.columns(2)
    camera_id = c1.selectbox(
        tr("video_ui.camera"), list(cameras), format_func=cameras.get, key=f"{KEY}_assign_camera"
    )
    file = c2.selectbox(tr("video_models.model"), list(by_file), key=f"{KEY}_assign_model")
    model = by_file[file]
    roles = pd.DataFrame(
        {"class": model.classes, "role": [model.roles.get(c, "ignore") for c in model.classes]}
    )
    edited = st.data_editor(
        roles,
        hide_index=True,
        disabled=["class"],
        column_config={
            "class": st.column_config.TextColumn(tr("video_models.class")),
            "role": st.column_config.SelectboxColumn(
                tr("video_models.role"), options=list(ROLES), required=True
            ),
        },
        key=f"{KEY}_roles_{file}",
    )
    slot = f"{KEY}_assign"
    problems(slot)
    if st.button(tr("video_models.assign_button"), type="primary", key=f"{KEY}_assign_go"):
        role_map = {str(r["class"]): str(r["role"]) for r in edited.to_dict("records")}
        attempt(
            slot,
            lambda s: assign(s, actor, get_settings(), camera_id, file, role_map),
            tr("video_models.assigned", model=file, camera=cameras[camera_id]),
        )
        st.rerun()


def render() -> None:
    actor = guard(Module.VIDEO)
    st.title(tr("page.video_models"))
    st.caption(tr("video_models.intro"))
    show_flash()
    dataset, models_tab = st.tabs([tr("video_models.tab_dataset"), tr("video_models.tab_models")])
    with dataset:
        filters = _filters(actor)
        if actor.can(Module.VIDEO, Action.EXPORT):
            _export(actor, filters)
        else:
            st.caption(tr("video_models.export_not_allowed"))
        _relabel(actor, filters)
    with models_tab:
        models = list_models(get_settings())
        _model_table(models)
        if actor.can(Module.VIDEO, Action.CONFIGURE):
            st.subheader(tr("video_models.import_title"))
            st.caption(tr("video_models.import_hint"))
            _import_form(actor)
            _assign_form(actor, models)
