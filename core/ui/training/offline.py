"""线下考试 / Offline exams: print a paper (and its key) for an exam sat on paper, then import
its scores. Layout only: ``core.training.paper_print`` draws the PDFs and
``core.training.offline_scores`` reads, checks and writes the scores."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from core.crud.excel import ImportReport
from core.crud.lookup import options
from core.db import session_scope
from core.i18n import Translatable
from core.rbac import Actor
from core.training.offline_scores import ScoreImport, import_scores, read_scores, template
from core.training.paper_print import paper_pdf
from core.training.paper_rules import paper_warning
from core.ui.context import lang, show_error, tr
from core.ui.uploads import upload_limit
from models.enums import Action, Module

RESULT = "offline_result"


def render_offline(actor: Actor) -> None:
    """Each step opens its own short session: making a PDF and importing are writes (audit
    entries, records) committed on their own."""
    with session_scope() as session:
        papers = options(session, "exam_paper", actor)
    if not papers:
        st.info(tr("offline.no_papers"))
        return
    paper_id = st.selectbox(
        tr("offline.pick_paper"), list(papers), format_func=papers.get, key="offline_paper"
    )
    with session_scope() as session:
        _warn(session, actor, paper_id)
    st.subheader(tr("offline.title_print"))
    st.caption(tr("offline.print_hint"))
    _print(actor, paper_id, papers[paper_id])
    st.subheader(tr("offline.title_scores"))
    st.caption(tr("offline.scores_hint"))
    _scores(actor, paper_id, papers[paper_id])


def paper_points_warning(session: Session, actor: Actor, record: Any) -> None:
    """Under a paper's (or a rule's) detail: say when its rules do not add up to its total
    (``render_table_page(..., detail_extra=paper_points_warning)``)."""
    _warn(session, actor, getattr(record, "paper_id", None) or record.id)


def _warn(session: Session, actor: Actor, paper_id: int) -> None:
    if (wrong := paper_warning(session, actor, paper_id)) is not None:
        st.warning(tr("offline.points_warning", **wrong.params))


def _print(actor: Actor, paper_id: int, name: str) -> None:
    variant = st.number_input(
        tr("offline.variant"), 1, 9999, 1, help=tr("offline.variant_help"), key="offline_variant"
    )
    ready_key = f"offline_pdfs_{paper_id}_{variant}"
    if st.button(tr("offline.make_pdf"), key="offline_make"):
        try:
            with session_scope() as session:  # each PDF is an export, audited when made
                made = {"paper": paper_pdf(session, actor, paper_id, int(variant))}
                if actor.can(Module.TRAINING, Action.EDIT):
                    made["key"] = paper_pdf(session, actor, paper_id, int(variant), key=True)
            st.session_state[ready_key] = made
        except Translatable as exc:
            show_error(exc)
    made = st.session_state.get(ready_key, {})
    for part, label in (("paper", "offline.download_paper"), ("key", "offline.download_key")):
        if part in made:
            st.download_button(
                tr(label),
                made[part],
                file_name=f"{name}_{variant}_{part}.pdf",
                mime="application/pdf",
                key=f"offline_dl_{part}",
            )


def _scores(actor: Actor, paper_id: int, name: str) -> None:
    st.download_button(
        tr("offline.download_template"),
        template(lang(), name),
        file_name=f"{name}_scores.xlsx",
        key="offline_template",
    )
    upload = st.file_uploader(
        max_upload_size=upload_limit(),
        label=tr("offline.upload"),
        type=["xlsx"],
        key="offline_upload",
    )
    if upload is not None:
        with session_scope() as session:
            preview = read_scores(session, actor, upload.getvalue(), lang(), paper_id=paper_id)
        _report(preview.report)
        if preview.report.ok:
            st.success(tr("offline.preview_ok", rows=preview.report.rows))
            _lines(preview, written=False)
            if st.button(tr("offline.import"), type="primary", key="offline_import"):
                with session_scope() as session:
                    st.session_state[RESULT] = import_scores(
                        session, actor, upload.getvalue(), lang(), paper_id=paper_id,
                        filename=upload.name,
                    )  # fmt: skip
    done: ScoreImport | None = st.session_state.get(RESULT)
    if done is not None:
        st.subheader(tr("offline.results"))
        if done.report.ok:
            st.success(tr("offline.imported", count=done.report.created))
            _lines(done, written=True)
        else:
            _report(done.report)


def _report(report: ImportReport) -> None:
    """What is wrong with the file: the file itself, or each row and column."""
    if report.ok:
        return
    if refusals := [e.message for e in report.errors if e.row == 0]:
        for message in refusals:
            st.error(tr("crud.import_refused", message=message))
        return
    st.error(tr("offline.rejected", count=len(report.errors)))
    frame = pd.DataFrame(
        [(e.row, e.column, e.message) for e in report.errors],
        columns=[tr("crud.import_row"), tr("crud.import_column"), tr("crud.import_message")],
    )
    # a static table wraps the messages: a grid would cut them at the edge of a phone
    st.table(frame.set_index(tr("crud.import_row")))


def _lines(result: ScoreImport, *, written: bool) -> None:
    head = [tr("offline.th.row"), tr("field.employee_no"), tr("offline.col.name")]
    head += [tr("offline.col.paper"), tr("offline.col.score"), tr("offline.col.exam_date")]
    head += [tr("offline.th.passed")]
    rows = []
    for line in result.lines:
        s = line.score
        row = [s.row, line.employee_no, line.person, line.paper, s.score, s.exam_date.isoformat()]
        row.append(tr("offline.yes" if line.passed else "offline.no"))
        rows.append(row + ([line.exam_no, line.attempt] if written else []))
    if written:
        head += [tr("offline.th.exam_no"), tr("offline.th.attempt")]
    key = "offline_written" if written else "offline_preview"
    st.dataframe(pd.DataFrame(rows, columns=head), hide_index=True, width="stretch", key=key)
