"""Backups for the admin: make one with a progress bar, list and download the archives.

Restoring replaces the database under every running session, so it stays a CLI step
(``safeloop restore``), run while the app is stopped.
"""

from __future__ import annotations

import streamlit as st

from core import backup
from core.config import get_settings
from core.i18n import Translatable
from core.rbac import Actor
from core.system.backups import make_backup
from core.ui.context import show_error, tr


def backup_page(actor: Actor) -> None:
    settings = get_settings()
    st.title(tr("page.backup"))
    st.caption(tr("backup.intro"))
    if st.button(tr("backup.create"), type="primary", key="backup_create"):
        bar = st.progress(0.0)
        try:
            path = make_backup(actor, settings, progress=lambda p, key: bar.progress(p, tr(key)))
        except Translatable as exc:
            show_error(exc)
        else:
            st.success(tr("backup.created", file=path.name))
        finally:
            bar.empty()
    archives = backup.list_backups(settings)
    st.subheader(tr("backup.list", count=len(archives)))
    if not archives:
        st.caption(tr("backup.none"))
    for path in archives[:20]:
        c1, c2 = st.columns([3, 1])
        c1.markdown(f"`{path.name}` · {path.stat().st_size / 1e6:.1f} MB")
        c2.download_button(
            tr("common.download"),
            path.read_bytes,
            file_name=path.name,
            mime="application/zip",
            key=f"bk_{path.name}",
        )
    st.info(tr("backup.restore_hint"))
