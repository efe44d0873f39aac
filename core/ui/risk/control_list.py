"""风险分级管控清单: the regulators' risk control list — filter, preview, download as Excel.

Only widgets here; the rows, the scope and the workbook come from
``core.reporting.risk_control_list``.
"""

import pandas as pd
import streamlit as st

from core.crud.lookup import options
from core.db import session_scope
from core.i18n import enum_label
from core.rbac import Actor
from core.reporting.risk_control_list import (
    LEVEL_COLUMN,
    ListFilter,
    count,
    department_options,
    export_workbook,
    header,
    level_css,
    preview,
)
from core.ui.context import lang, tr
from core.ui.widgets import one_or_all
from models.enums import RiskLevel

PREVIEW_ROWS = 50


def render(actor: Actor) -> None:
    st.title(tr("page.risk_control_list"))
    st.caption(tr("risk_list.intro"))
    c1, c2, c3 = st.columns(3)
    with session_scope() as session:  # one read transaction for pickers, count and preview
        enterprises = options(session, "enterprise", actor)
        enterprise = one_or_all(c1, tr("risk_list.col.enterprise"), enterprises, "rcl_enterprise")
        departments = department_options(session, actor, enterprise)
        department = one_or_all(c2, tr("risk_list.col.department"), departments, "rcl_department")
        levels = c3.multiselect(
            tr("risk_list.col.level"),
            [level.value for level in RiskLevel],
            format_func=lambda v: enum_label(RiskLevel(v), lang()),
            placeholder=tr("common.all"),
            key="rcl_levels",
        )
        filt = ListFilter(enterprise, department, tuple(levels))
        total = count(session, actor, filt)
        rows = preview(session, actor, filt, lang(), PREVIEW_ROWS)
    st.caption(tr("risk_list.preview", shown=len(rows), total=total))
    cells = [["" if v is None else v for v in r.values] for r in rows]  # grids print None
    frame = pd.DataFrame(cells, columns=header(lang()))
    level_name = frame.columns[LEVEL_COLUMN]
    styles = [level_css(r.level) for r in rows]
    styled = frame.style.apply(lambda _col: styles, subset=[level_name])
    st.dataframe(styled, hide_index=True, width="stretch", key="rcl_preview")
    if st.button(tr("risk_list.build"), type="primary", disabled=total == 0, key="rcl_build"):
        bar = st.progress(0.0)
        with session_scope() as session:
            data = export_workbook(session, actor, filt, lang(), progress=bar.progress)
        bar.empty()
        st.session_state["rcl_file"] = (filt, data)
    ready = st.session_state.get("rcl_file")
    if ready and ready[0] == filt:
        name = f"{tr('risk_list.title')}.xlsx"
        st.download_button(
            f"{tr('common.download')} · {name}",
            ready[1],
            file_name=name,
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            type="primary",
            key="rcl_download",
        )
