"""The statutory and management reports (统计报表) as documents: one Excel workbook or one A4 PDF
per report, built from the frames of ``analytics.reports``.

A report is declared once as sections of typed columns (:class:`Report`); :func:`to_xlsx` and
:func:`to_pdf` lay any report out the same way: a header naming the enterprise, the period and
the time it was generated, then each section as a table (one sheet each in Excel, header row
frozen; repeated on every PDF page). :func:`export` checks the analytics export permission,
builds the document and leaves an audit entry.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from sqlmodel import Session

from analytics import reports as ar
from analytics.duck import Connection
from analytics.kpi import Period
from core import audit
from core.clock import shown
from core.crud.cells import safe_cell
from core.crud.excel import sheet_title
from core.db import utcnow
from core.i18n import enum_label, t
from core.pdf_kit import build, para, ruled
from core.rbac import Actor
from models.enums import Action, Module, RiskLevel
from models.hazard import HazardLevel, HazardState
from models.risk_inspection import InspectionPlanType
from models.training import TrainingResult

Kind = Literal["text", "int", "dec1", "pct", "money", "date"]
Format = Literal["xlsx", "pdf"]
Spec = tuple[str, float, Kind]
REPORTS: tuple[str, ...] = ("dual_prevention", "accidents", "training")
#: The table an export of each report is audited against.
AUDIT_TABLE = {"dual_prevention": "hazard", "accidents": "incident", "training": "training_record"}
EXCEL_FORMAT: dict[Kind, str] = {"text": "@", "int": "0", "dec1": "0.0", "pct": "0.0",
                                 "money": "#,##0.00", "date": "yyyy-mm-dd"}  # fmt: skip
HEADER_ROWS = 5  # title, enterprise, period, generated at, note; the table starts below
#: Columns as (key, width, kind); the label is ``reports.col.<key>``.
RISK_COLUMNS: tuple[Spec, ...] = (
    ("risk_level", 18, "text"), ("at_start", 14, "int"), ("added", 12, "int"),
    ("retired", 12, "int"), ("at_end", 14, "int"), ("change", 12, "int"),
)  # fmt: skip
INSPECTION_COLUMNS: tuple[Spec, ...] = (
    ("plan_type", 18, "text"), ("planned", 12, "int"), ("done", 12, "int"),
    ("on_time", 12, "int"), ("missed", 12, "int"), ("done_rate", 14, "pct"),
)  # fmt: skip
HAZARD_COLUMNS: tuple[Spec, ...] = (
    ("hazard_level", 18, "text"), ("found", 12, "int"), ("closed", 12, "int"),
    ("closed_in_month", 14, "int"), ("overdue", 12, "int"), ("closure_rate", 14, "pct"),
)  # fmt: skip
MAJOR_COLUMNS: tuple[Spec, ...] = (
    ("seq", 8, "int"), ("number", 18, "text"), ("title", 30, "text"), ("area", 14, "text"),
    ("found_on", 12, "date"), ("deadline", 12, "date"), ("state", 10, "text"),
    ("owner", 10, "text"), ("is_overdue", 8, "text"),
)  # fmt: skip
DETAIL_COLUMNS: tuple[Spec, ...] = (
    ("month", 8, "text"), ("accident_type", 14, "text"), ("grade", 14, "text"),
)  # fmt: skip
TRAINING_COLUMNS: tuple[Spec, ...] = (
    ("seq", 8, "int"), ("person", 12, "text"), ("department", 16, "text"),
    ("course", 28, "text"), ("hours", 8, "dec1"), ("trained_on", 12, "date"),
    ("score", 8, "dec1"), ("result", 10, "text"),
)  # fmt: skip
MEASURE_COLUMNS: tuple[Spec, ...] = (
    ("incidents", 8, "int"), ("deaths", 8, "int"), ("serious_injuries", 8, "int"),
    ("minor_injuries", 8, "int"), ("direct_loss", 14, "money"),
)  # fmt: skip
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    label: str
    width: float  # Excel characters; PDF widths are scaled from them
    kind: Kind = "text"


@dataclass(frozen=True)
class Section:
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str | None = None


@dataclass(frozen=True)
class Request:
    """What the user picked: the report, its period and (park users) the enterprise."""

    kind: str
    period: Period
    enterprise_id: int | None = None

    def as_audit(self) -> dict[str, Any]:
        p = self.period
        return {"report": self.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
                "enterprise_id": self.enterprise_id}  # fmt: skip


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    enterprise: str
    period: str
    generated: str
    sections: list[Section] = field(default_factory=list)
    wide: bool = False  # landscape PDF

    @property
    def rows(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    def file_name(self, fmt: Format) -> str:
        return f"{self.title}_{self.period}.{fmt}".replace(" ", "_")


def _cols(lang: str, *spec: Spec) -> list[Column]:
    return [Column(t(f"reports.col.{key}", lang), width, kind) for key, width, kind in spec]


def _total(frame: pl.DataFrame, label: str, skip: tuple[str, ...] = ()) -> list[Any]:
    """A totals row: the label, then each integer column summed (others left empty)."""
    out: list[Any] = [label]
    for name, dtype in list(frame.schema.items())[1:]:
        integer = dtype.is_integer() or (dtype == pl.Float64 and name == "direct_loss")
        out.append(frame[name].sum() if integer and name not in skip else None)
    return out


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


# --- the three reports ------------------------------------------------------------------------


def dual_prevention(
    con: Connection, actor: Actor, req: Request, today: date, zone: str, lang: str
) -> list[Section]:
    p, e = req.period, req.enterprise_id
    total = t("reports.total", lang)
    risk = ar.risk_levels(con, actor, p, zone=zone, enterprise_id=e)
    risk_rows = [[enum_label(RiskLevel(r[0]), lang), *r[1:]] for r in risk.iter_rows()]
    risk_rows.append(_total(risk, total))
    insp = ar.inspections(con, actor, p, today, zone=zone, enterprise_id=e)
    insp_rows = [
        [_kind_label(r[0], lang), *r[1:]] for r in insp.iter_rows() if r[1] or r[0] != ar.UNPLANNED
    ]
    insp_total = _total(insp, total, skip=("rate",))
    insp_rows.append([*insp_total[:-1], _rate(insp_total[2], insp_total[1])])
    haz = ar.hazard_levels(con, actor, p, today, zone=zone, enterprise_id=e)
    haz_rows = [[enum_label(HazardLevel(r[0]), lang), *r[1:]] for r in haz.iter_rows()]
    haz_total = _total(haz, total, skip=("rate",))
    haz_rows.append([*haz_total[:-1], _rate(haz_total[2], haz_total[1])])
    major = ar.major_hazards(con, actor, p, today, zone=zone, enterprise_id=e)
    yes, no = t("common.yes", lang), t("common.no", lang)
    major_rows = [
        [i, *r[:5], enum_label(HazardState(r[5]), lang), r[6], yes if r[7] else no]
        for i, r in enumerate(major.iter_rows(), start=1)
    ]
    return [
        Section(
            t("reports.section.risk", lang),
            _cols(lang, *RISK_COLUMNS),
            risk_rows,
            t("reports.note.risk", lang),
        ),
        Section(
            t("reports.section.inspections", lang),
            _cols(lang, *INSPECTION_COLUMNS),
            insp_rows,
            t("reports.note.inspections", lang),
        ),
        Section(
            t("reports.section.hazards", lang),
            _cols(lang, *HAZARD_COLUMNS),
            haz_rows,
            t("reports.note.hazards", lang),
        ),
        Section(
            t("reports.section.major", lang),
            _cols(lang, *MAJOR_COLUMNS),
            major_rows,
            t("reports.note.major", lang),
        ),
    ]


def _kind_label(kind: str, lang: str) -> str:
    if kind == ar.UNPLANNED:
        return t("reports.unplanned", lang)
    return enum_label(InspectionPlanType(kind), lang)


def accident_statistics(
    con: Connection, actor: Actor, req: Request, zone: str, lang: str
) -> list[Section]:
    detail = ar.accidents(
        con, actor, req.period.start.year, zone=zone, enterprise_id=req.enterprise_id, lang=lang
    )
    unknown = t("reports.no_type", lang)
    matrix = ar.accident_matrix(detail, unknown)
    types = [c for c in matrix.columns if c not in ("month", *ar.MEASURES)]
    month = [Column(t("reports.col.month", lang), 8, "text")]
    by_type = [Column(name, 8, "int") for name in types]
    rows = [[t("reports.month_n", lang, n=r[0]), *r[1:]] for r in matrix.iter_rows()]
    rows.append(_total(matrix, t("reports.total", lang)))
    detail_rows = [
        [t("reports.month_n", lang, n=r[0]), r[1] or unknown, r[2] or "", *r[3:]]
        for r in detail.iter_rows()
    ]
    return [
        Section(
            t("reports.section.accident_matrix", lang),
            month + by_type + _cols(lang, *MEASURE_COLUMNS),
            rows,
            t("reports.note.accidents", lang),
        ),
        Section(
            t("reports.section.accident_detail", lang),
            _cols(lang, *DETAIL_COLUMNS, *MEASURE_COLUMNS),
            detail_rows,
        ),
    ]


def training(con: Connection, actor: Actor, req: Request, lang: str) -> list[Section]:
    frame = ar.training_register(con, actor, req.period, enterprise_id=req.enterprise_id)
    rows = [
        [i, *r[:6], enum_label(TrainingResult(r[6]), lang) if r[6] else None]
        for i, r in enumerate(frame.iter_rows(), start=1)
    ]
    hours = float(frame["hours"].sum() or 0)
    note = t("reports.note.training", lang, n=frame.height, hours=f"{hours:g}")
    return [
        Section(
            t("reports.section.training", lang),
            _cols(lang, *TRAINING_COLUMNS),
            rows,
            note,
        )
    ]


def period_label(req: Request, lang: str) -> str:
    p = req.period
    if req.kind == "dual_prevention":
        return t("reports.period_month", lang, year=p.start.year, month=p.start.month)
    if req.kind == "accidents":
        return t("reports.period_year", lang, year=p.start.year)
    return f"{p.start} ~ {p.end}"


def build_report(
    con: Connection,
    actor: Actor,
    req: Request,
    lang: str,
    *,
    today: date,
    zone: str = ar.ZONE,
) -> Report:
    """The report's sections, limited to the actor's data scope."""
    if req.kind == "dual_prevention":
        sections = dual_prevention(con, actor, req, today, zone, lang)
    elif req.kind == "accidents":
        sections = accident_statistics(con, actor, req, zone, lang)
    elif req.kind == "training":
        sections = training(con, actor, req, lang)
    else:
        raise ValueError(f"unknown report {req.kind!r}")
    names = ar.enterprise_names(con, actor, req.enterprise_id)
    return Report(
        kind=req.kind,
        title=t(f"reports.title.{req.kind}", lang),
        enterprise="、".join(names)
        if len(names) <= 3
        else t("reports.n_enterprises", lang, n=len(names)),
        period=period_label(req, lang),
        generated=shown(utcnow()),
        sections=sections,
        wide=req.kind == "accidents",
    )


# --- layout -----------------------------------------------------------------------------------


def _meta(report: Report, lang: str) -> list[str]:
    return [
        t("reports.meta.enterprise", lang, name=report.enterprise),
        t("reports.meta.period", lang, period=report.period),
        t("reports.meta.generated", lang, time=report.generated),
    ]


def to_xlsx(report: Report, lang: str) -> bytes:
    """One sheet per section: the header block, then the table with its header row frozen."""
    wb = Workbook()
    wb.remove(wb.active)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="FFDDE7F3")
    used: set[str] = set()
    for n, section in enumerate(report.sections, start=1):
        name = sheet_title(section.title)
        ws = wb.create_sheet(name if name not in used else sheet_title(f"{n} {name}"))
        used.add(ws.title)
        ws.cell(1, 1, f"{report.title} · {section.title}").font = Font(bold=True, size=14)
        for i, line in enumerate(_meta(report, lang), start=2):
            ws.cell(i, 1, safe_cell(line))
        if section.note:
            ws.cell(HEADER_ROWS, 1, section.note).font = Font(italic=True, color="FF666666")
        top = HEADER_ROWS + 1
        for c, col in enumerate(section.columns, start=1):
            cell = ws.cell(top, c, col.label)
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(c)].width = col.width
        for r, row in enumerate(section.rows, start=top + 1):
            for c, (value, col) in enumerate(zip(row, section.columns, strict=True), start=1):
                cell = ws.cell(r, c, safe_cell(value))
                if value is not None and col.kind != "text":
                    cell.number_format = EXCEL_FORMAT[col.kind]
        ws.freeze_panes = ws.cell(top + 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shown(value: Any, kind: Kind) -> Any:
    if value is None:
        return ""
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "dec1":
        return f"{value:g}"
    return value


def to_pdf(report: Report, lang: str) -> bytes:
    """A4 (landscape for the accident table): title, header lines, each section as a ruled
    table whose header row repeats on every page."""
    size = landscape(A4) if report.wide else A4
    width = size[0] - 30 * mm
    story: list[Any] = [para(report.title, "title"), para("　".join(_meta(report, lang)), "sub")]
    for section in report.sections:
        story += [Spacer(1, 4 * mm), para(section.title, "head")]
        if section.note:
            story.append(para(section.note, "small"))
        scale = width / sum(c.width for c in section.columns)
        font = 8 if len(section.columns) <= 10 else 7
        head = [para(c.label, "small") for c in section.columns]
        body = [
            [_shown(v, c.kind) for v, c in zip(row, section.columns, strict=True)]
            for row in section.rows
        ] or [[t("reports.empty", lang)] + [""] * (len(section.columns) - 1)]
        story.append(ruled([head, *body], [c.width * scale for c in section.columns], size=font))
    footer = f"{report.title} · {report.enterprise} · {report.period} · {report.generated}"
    return build(story, report.title, footer, size)


def export(
    session: Session,
    con: Connection,
    actor: Actor,
    req: Request,
    fmt: Format,
    lang: str,
    *,
    today: date,
    zone: str = ar.ZONE,
) -> tuple[Report, bytes]:
    """The report as a document, audited as an export of its main table."""
    actor.require(Module.ANALYTICS, Action.EXPORT)
    report = build_report(con, actor, req, lang, today=today, zone=zone)
    data = to_xlsx(report, lang) if fmt == "xlsx" else to_pdf(report, lang)
    detail = {**req.as_audit(), "format": fmt, "rows": report.rows}
    audit.record(session, actor, "export", table_name=AUDIT_TABLE[req.kind], detail=detail)
    return report, data
