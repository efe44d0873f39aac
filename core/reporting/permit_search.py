"""The permit search's result as a document: a landscape PDF list or an Excel sheet. Each is an
export: it needs the permit export permission and leaves an audit entry."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from sqlmodel import Session

from analytics import permit_stats as ps
from core import audit
from core.clock import shown
from core.crud.cells import safe_cell
from core.crud.excel import sheet_title
from core.db import utcnow
from core.i18n import t
from core.pdf_kit import build, para, ruled
from core.rbac import Actor
from models.enums import Action, Module

LIST_PDF_MAX = 2000  # a longer list is a job for the Excel export
EXCEL_MAX = 100_000

# --- the search result as a list --------------------------------------------------------------

LIST_COLUMNS = (
    ("number", 30),
    ("type", 26),
    ("grade", 26),
    ("state", 16),
    ("unit", 28),
    ("area", 26),
    ("area_level", 20),
    ("location", 32),
    ("applicant", 18),
    ("planned_start", 28),
    ("planned_end", 28),
    ("location_check", 16),
)


def _cell(value: Any) -> Any:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value


def _audit_list(session: Session, actor: Actor, fmt: str, rows: int, s: ps.PermitSearch) -> None:
    audit.record(
        session,
        actor,
        "export",
        table_name="permit",
        detail={
            "format": fmt,
            "document": "search",
            "rows": rows,
            "filters": audit.jsonable(s.as_audit()),
        },
    )


def results_pdf(
    session: Session, actor: Actor, s: ps.PermitSearch, lang: str | None = None
) -> bytes:
    """The search result as a landscape table (at most ``LIST_PDF_MAX`` rows, said so)."""
    actor.require(Module.PERMIT, Action.EXPORT)
    lang = lang or actor.language
    frame, total = ps.search_all(session, actor, s, lang, LIST_PDF_MAX)
    head = [para(t(f"permit_stats.col.{k}", lang), "small") for k, _ in LIST_COLUMNS]
    width = landscape(A4)[0] - 30 * mm
    scale = width / sum(w for _, w in LIST_COLUMNS)
    rows = [[_cell(r[k]) for k, _ in LIST_COLUMNS] for r in frame.iter_rows(named=True)]
    story: list[Any] = [
        para(t("permit_stats.list_title", lang), "title"),
        para(t("permit_stats.list_count", lang, total=total, shown=frame.height), "sub"),
        Spacer(1, 3 * mm),
        ruled([head, *rows], [w * scale for _, w in LIST_COLUMNS], size=8),
    ]
    footer = t("permit_print.list_footer", lang, by=actor.username, time=shown(utcnow()))
    data = build(story, t("permit_stats.list_title", lang), footer, landscape(A4))
    _audit_list(session, actor, "pdf", frame.height, s)
    return data


def results_xlsx(
    session: Session, actor: Actor, s: ps.PermitSearch, lang: str | None = None
) -> bytes:
    """The search result as one sheet: every matching permit up to ``EXCEL_MAX``."""
    actor.require(Module.PERMIT, Action.EXPORT)
    lang = lang or actor.language
    frame, _total = ps.search_all(session, actor, s, lang, EXCEL_MAX)
    keys = [k for k, _ in LIST_COLUMNS] + ["enterprise", "content"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(t("permit_stats.list_title", lang)))
    widths = dict(LIST_COLUMNS) | {"enterprise": 30, "content": 50}
    for i, key in enumerate(keys, 1):
        ws.column_dimensions[get_column_letter(i)].width = widths[key] * 0.6
    ws.freeze_panes = "B2"
    header = []
    for key in keys:
        cell = WriteOnlyCell(ws, t(f"permit_stats.col.{key}", lang))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E9EEF5")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    for row in frame.select(keys).iter_rows():
        ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    _audit_list(session, actor, "xlsx", frame.height, s)
    return buf.getvalue()
