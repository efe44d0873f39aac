"""A record's detail: fields, edit form, delete/restore, attachments and change history."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.clock import shown
from core.config import get_settings
from core.crud import files, present, service, summary
from core.crud.readers import readable_fields
from core.crud.registry import TableSpec, children_of
from core.db import session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.ui.context import lang, show_error, tr
from core.ui.forms import form_inputs, submit
from core.ui.uploads import upload_limit
from models.enums import Action


def render_detail(
    session: Session, spec: TableSpec, actor: Actor, row_id: int, extra: Any = None
) -> None:
    try:
        row = service.get_row(session, spec, actor, row_id)
    except Translatable as exc:
        show_error(exc)
        return
    specs = readable_fields(session, spec, actor)  # a column read by its editors only is left out
    title = getattr(row, spec.title_field, row_id)
    deleted = row.deleted_at is not None
    st.subheader(
        f"{tr('common.details')} · {title}"
        + (f" ({tr('common.deleted_badge')})" if deleted else "")
    )
    shown = present.table_rows(session, specs, [row], lang())[0]
    st.dataframe(
        pd.DataFrame(
            {
                tr("common.field"): [f.label_in(lang()) for f in specs],
                tr("common.value"): [_text(shown[f.name]) for f in specs],
            }
        ),
        hide_index=True,
        width="stretch",
        key=f"{spec.name}_detail_{row_id}",
    )
    locked = spec.locked is not None and spec.locked(row)
    can_edit = actor.can(spec.module, Action.EDIT) and not deleted and not locked
    if can_edit:
        key = f"{spec.name}_edit_{row_id}"
        with st.expander(tr("common.edit")), st.form(key):
            raw = form_inputs(session, actor, specs, row, key)
            pressed = st.form_submit_button(tr("common.save"), type="primary")
        if pressed and submit(
            key, lambda s: service.update_row(s, spec, actor, row_id, raw), tr("common.saved")
        ):
            st.rerun()
    if actor.can(spec.module, Action.DELETE) and not locked:
        label, action, done = (
            ("common.restore", service.restore, "common.restored")
            if deleted
            else ("common.delete", service.soft_delete, "common.deleted")
        )
        pressed = st.button(tr(label), key=f"{spec.name}_del_{row_id}")
        if pressed and submit(
            f"{spec.name}_del", lambda s: action(s, spec, actor, row_id), tr(done)
        ):
            st.rerun()
    if extra is not None:
        extra(session, actor, row)
    _children(session, spec, actor, row_id)
    _attachments(session, spec, actor, row_id, can_edit)
    _history(session, spec, actor, row_id)


def _children(session: Session, spec: TableSpec, actor: Actor, row_id: int) -> None:
    """Doors to the registers of this record's parts (a permit's gas readings and
    signatures), filtered to it: those registers are not in the menu."""
    children = [c for c in children_of(spec.name) if c.page and actor.can(c.module, Action.VIEW)]
    if not children:
        return
    st.markdown(f"**{tr('common.parts')}**")
    for child in children:
        n = summary.count(session, child, actor, **{child.parent or "": [row_id]})
        query = {f"f.{child.parent}": str(row_id)}
        st.page_link(child.page or "", label=f"{tr(child.label_key)} ({n})", query_params=query)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _attachments(
    session: Session, spec: TableSpec, actor: Actor, row_id: int, can_edit: bool
) -> None:
    settings = get_settings()
    items = files.listed(session, spec, actor, row_id)
    with st.expander(f"{tr('common.attachments')} ({len(items)})"):
        if not items:
            st.caption(tr("crud.attachments_empty"))
        for item in items:
            c1, c2 = st.columns([1, 4])
            if item.has_thumbnail:
                _, thumb = files.fetch(session, spec, actor, item.id, settings, thumbnail=True)
                if thumb:
                    c1.image(thumb)
            c2.download_button(
                f"{tr('common.download')} · {item.filename} ({item.size // 1024 + 1} KB)",
                partial(_file_bytes, spec, actor, item.id),
                file_name=item.filename,
                mime=item.mime,
                key=f"att_{item.id}",
            )
        if can_edit:
            upload = st.file_uploader(
                tr("common.upload"),
                key=f"{spec.name}_att_{row_id}",
                max_upload_size=upload_limit(videos=spec.name == "course_material"),
            )
            pressed = upload is not None and st.button(
                tr("common.upload"), key=f"{spec.name}_attbtn_{row_id}"
            )
            if pressed and _upload(spec, actor, row_id, upload.getvalue(), upload.name):
                st.rerun()


def _file_bytes(spec: TableSpec, actor: Actor, attachment_id: int) -> bytes:
    """Read on click, not on every render; the row's scope is checked again then."""
    with session_scope() as session:
        _, data = files.fetch(session, spec, actor, attachment_id, get_settings())
    return data or b""


def _upload(spec: TableSpec, actor: Actor, row_id: int, data: bytes, name: str) -> bool:
    return submit(
        f"{spec.name}_att",
        lambda s: files.attach(s, spec, actor, row_id, data, name, get_settings()),
        tr("attachment.added"),
    )


def _history(session: Session, spec: TableSpec, actor: Actor, row_id: int) -> None:
    entries = service.history(session, spec, actor, row_id, hidden=tr("audit.hidden_value"))
    with st.expander(f"{tr('common.history')} ({len(entries)})"):
        if not entries:
            st.caption(tr("crud.history_empty"))
        for entry in entries:
            when = shown(entry.ts, "%Y-%m-%d %H:%M:%S")
            st.markdown(f"**{when}** · {entry.actor_name} · {tr('audit_action.' + entry.action)}")
            if entry.action == "update" and entry.after:
                changes = [
                    {
                        tr("audit.detail"): _label(spec, k),
                        "−": _text((entry.before or {}).get(k)),
                        "+": _text(v),
                    }
                    for k, v in entry.after.items()
                ]
                st.dataframe(
                    pd.DataFrame(changes), hide_index=True, width="stretch", key=f"hist_{entry.id}"
                )


def _label(spec: TableSpec, name: str) -> str:
    try:
        return spec.field(name).label_in(lang())
    except KeyError:
        return name
