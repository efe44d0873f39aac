"""The risk control list (风险分级管控清单): one row per risk point, as regulators ask for it.

Columns follow the usual provincial templates: enterprise, workshop, identification unit,
risk point, category, hazard factors, possible accidents (GB 6441), level (filled with its
map colour), control tier, the measures by class (engineering, management, training, PPE,
emergency), who is responsible, and what is inspected how often (the check items made from the
point's measures, and the plans that use them).

The sheet is streamed: point ids are read once, then rows are built a chunk at a time from
plain column tuples (ORM objects of the wide point table cost more than the rest together),
and written with openpyxl's write-only workbook; the demo plant's 15,000 points never sit in
memory at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, select

from core import audit
from core.crud.cells import safe_cell
from core.crud.excel import sheet_title
from core.crud.lookup import visible
from core.crud.registry import get_spec
from core.i18n import enum_label, t
from core.inspection.schedule import step_days
from core.rbac import Actor
from models.enums import RISK_COLOURS, Action, Module, RiskLevel
from models.org import Department, Enterprise, Person
from models.reference import AccidentType
from models.risk import MeasureClass, RiskUnitKind
from models.risk_inspection import InspectionCheckItem, InspectionPlan, InspectionPlanType
from models.risk_register import RiskMeasure, RiskPoint, RiskUnit

Progress = Callable[[float, str], None]
CHUNK = 1000
#: (key, width); the label is ``risk_list.col.<key>``. Measure columns follow MeasureClass.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("seq", 6), ("enterprise", 22), ("department", 14), ("unit", 22), ("point", 26),
    ("code", 12), ("category", 16), ("hazard_factors", 34), ("accident_types", 18),
    ("level", 14), ("tier", 10), *((f"measure_{c.value}", 34) for c in MeasureClass),
    ("responsible_department", 14), ("responsible_person", 10), ("inspection_content", 40),
    ("inspection_cycle", 20),
)  # fmt: skip
WRAPPED = {"hazard_factors", "inspection_content", *(f"measure_{c.value}" for c in MeasureClass)}
LEVEL_COLUMN = next(i for i, (key, _) in enumerate(COLUMNS) if key == "level")
POINT_COLUMNS = (RiskPoint.id, RiskPoint.enterprise_id, RiskPoint.department_id,
                 RiskPoint.unit_id, RiskPoint.name, RiskPoint.code, RiskPoint.method,
                 RiskPoint.hazard_factors, RiskPoint.accident_type_id,
                 RiskPoint.other_accident_types, RiskPoint.residual_level,
                 RiskPoint.responsible_person_id)  # fmt: skip


@dataclass(frozen=True)
class ListFilter:
    """What the user narrowed the list to; empty means everything in their scope."""

    enterprise_id: int | None = None
    department_id: int | None = None
    levels: tuple[str, ...] = ()

    def as_audit(self) -> dict[str, Any]:
        return {"enterprise_id": self.enterprise_id, "department_id": self.department_id,
                "levels": list(self.levels)}  # fmt: skip


@dataclass(frozen=True)
class ControlRow:
    """One point's line, display-ready (None where empty), with its level for colouring."""

    values: list[Any]
    level: RiskLevel


def header(lang: str) -> list[str]:
    return [t(f"risk_list.col.{key}", lang) for key, _ in COLUMNS]


def level_css(level: RiskLevel) -> str:
    """The level's map colour as a cell style (dark text on yellow, white on the rest)."""
    text = "#000" if level == RiskLevel.GENERAL else "#fff"
    return f"background-color: {RISK_COLOURS[level]}; color: {text}"


def _points(actor: Actor, filt: ListFilter) -> Any:
    stmt = visible(get_spec("risk_point"), actor)
    if filt.enterprise_id is not None:
        stmt = stmt.where(RiskPoint.enterprise_id == filt.enterprise_id)
    if filt.department_id is not None:
        stmt = stmt.where(RiskPoint.department_id == filt.department_id)
    if filt.levels:
        stmt = stmt.where(RiskPoint.residual_level.in_(list(filt.levels)))
    return stmt


def point_ids(
    session: Session, actor: Actor, filt: ListFilter, limit: int | None = None
) -> list[int]:
    """Ids in list order: enterprise, workshop, unit, then as identified."""
    stmt = (
        _points(actor, filt)
        .with_only_columns(RiskPoint.id)
        .order_by(RiskPoint.enterprise_id, RiskPoint.department_id, RiskPoint.unit_id, RiskPoint.id)
    )
    return list(session.exec(stmt.limit(limit) if limit else stmt).all())


def count(session: Session, actor: Actor, filt: ListFilter) -> int:
    return len(point_ids(session, actor, filt))


def department_options(session: Session, actor: Actor, enterprise_id: int | None) -> dict[int, str]:
    """Departments the filter may offer: those holding risk points the actor can see."""
    stmt = _points(actor, ListFilter(enterprise_id)).with_only_columns(RiskPoint.department_id)
    ids = set(session.exec(stmt.distinct()).all()) - {None}
    stmt = select(Department.id, Department.name).where(Department.id.in_(ids))
    return dict(session.exec(stmt.order_by(Department.name)).all())


class _Names:
    """id → name caches, filled a chunk at a time (units and people can be many)."""

    def __init__(self, session: Session, lang: str) -> None:
        self.session, self.lang = session, lang
        self.cache: dict[str, dict[int, Any]] = {}

    def get(self, model: type, ids: Any, column: Any = None) -> dict[int, Any]:
        known = self.cache.setdefault(f"{model.__name__}.{column}", {})
        missing = sorted(i for i in set(ids) if i is not None and i not in known)
        if column is None:
            en = model is AccidentType and self.lang == "en"
            column = model.name_en if en else model.name
        if missing:
            stmt = select(model.id, column).where(model.id.in_(missing))
            known.update((row_id, value) for row_id, value in self.session.exec(stmt).all())
        return known


MEASURE_COLUMNS = (RiskMeasure.id, RiskMeasure.point_id, RiskMeasure.measure_class,
                   RiskMeasure.content, RiskMeasure.department_id,
                   RiskMeasure.responsible_person_id)  # fmt: skip
ITEM_COLUMNS = (InspectionCheckItem.measure_id, InspectionCheckItem.content,
                InspectionCheckItem.checklist_id, InspectionCheckItem.seq)  # fmt: skip


def control_rows(
    session: Session, actor: Actor, filt: ListFilter, lang: str, *, limit: int | None = None
) -> Iterator[ControlRow]:
    """The list's rows, chunk by chunk, limited to the actor's data scope."""
    actor.require(Module.RISK, Action.VIEW)
    ids = point_ids(session, actor, filt, limit)
    names, cycles = _Names(session, lang), _cycles(session, lang)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stmt = select(*POINT_COLUMNS).where(RiskPoint.id.in_(chunk))
        points = {p.id: p for p in session.execute(stmt)}
        live = RiskMeasure.point_id.in_(chunk), RiskMeasure.deleted_at.is_(None)
        measures = _grouped(session, select(*MEASURE_COLUMNS).where(*live), "point_id")
        every = [m for ms in measures.values() for m in ms]
        live = (
            InspectionCheckItem.measure_id.in_([m.id for m in every]),
            InspectionCheckItem.deleted_at.is_(None),
        )
        checks = _grouped(session, select(*ITEM_COLUMNS).where(*live), "measure_id")
        rows = list(points.values())
        lookup = {
            "unit": names.get(RiskUnit, (p.unit_id for p in rows)),
            "kind": names.get(RiskUnit, (p.unit_id for p in rows), RiskUnit.kind),
            "ent": names.get(Enterprise, (p.enterprise_id for p in rows)),
            "dept": names.get(
                Department, [p.department_id for p in rows] + [m.department_id for m in every]
            ),
            "person": names.get(
                Person,
                [p.responsible_person_id for p in rows] + [m.responsible_person_id for m in every],
            ),
            "accident": names.get(AccidentType, (p.accident_type_id for p in rows)),
        }
        for offset, point_id in enumerate(chunk, start=start + 1):
            p = points[point_id]
            ms = measures.get(p.id, [])
            yield _row(offset, p, ms, [c for m in ms for c in checks.get(m.id, [])], lookup,
                       cycles, lang)  # fmt: skip


def _row(
    seq: int,
    p: Any,
    ms: list[Any],
    items: list[Any],
    names: dict[str, dict[int, Any]],
    cycles: dict[int, list[str]],
    lang: str,
) -> ControlRow:
    level = RiskLevel(p.residual_level)
    kind = names["kind"].get(p.unit_id)
    items = sorted(items, key=lambda c: (c.checklist_id, c.seq))
    depts = [m.department_id for m in ms] or [p.department_id]
    people = [p.responsible_person_id, *(m.responsible_person_id for m in ms)]
    values = [
        seq,
        names["ent"].get(p.enterprise_id),
        names["dept"].get(p.department_id),
        names["unit"].get(p.unit_id),
        p.name,
        p.code,
        f"{enum_label(RiskUnitKind(kind), lang)} / {str(p.method).upper()}" if kind else None,
        p.hazard_factors,
        _joined(names["accident"].get(p.accident_type_id), p.other_accident_types),
        enum_label(level, lang),
        t(f"risk_list.tier.{level.value}", lang),
        *(_numbered(m.content for m in ms if m.measure_class == c) for c in MeasureClass),
        _joined(*(names["dept"].get(i) for i in depts)),
        _joined(*(names["person"].get(i) for i in people)),
        _numbered(_strip(c.content, p.name) for c in items),
        _joined(*(text for c in items for text in cycles.get(c.checklist_id, [])), sep="\n"),
    ]
    return ControlRow(values, level)


def _grouped(session: Session, stmt: Any, key: str) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in session.execute(stmt):
        out.setdefault(getattr(row, key), []).append(row)
    return out


def _cycles(session: Session, lang: str) -> dict[int, list[str]]:
    """checklist id → how often its active plans run, e.g. "周排查（每7天）"."""
    stmt = select(InspectionPlan).where(
        InspectionPlan.active.is_(True),
        InspectionPlan.deleted_at.is_(None),
        InspectionPlan.checklist_id.is_not(None),
    )
    out: dict[int, list[str]] = {}
    for plan in session.exec(stmt.order_by(InspectionPlan.plan_type, InspectionPlan.id)):
        kind = InspectionPlanType(plan.plan_type)
        days = None if kind == InspectionPlanType.MONTHLY else step_days(kind, plan.cycle_days)
        if kind == InspectionPlanType.MONTHLY:
            every = t("risk_list.cycle_monthly", lang)
        elif days is None:
            every = t("risk_list.cycle_once", lang)
        elif days == 1:
            every = t("risk_list.cycle_daily", lang)
        else:
            every = t("risk_list.cycle_days", lang, days=days)
        text = t("risk_list.cycle", lang, kind=enum_label(kind, lang), every=every)
        out.setdefault(plan.checklist_id, []).append(text)
    return out


def _strip(content: str, point_name: str) -> str:
    """Items read "point: measure"; in the point's own row the point is already named."""
    for sep in ("：", ": "):
        if content.startswith(point_name + sep):
            return content[len(point_name) + len(sep) :]
    return content


def _joined(*texts: str | None, sep: str = "、") -> str | None:
    """Each name once, in order; None when there is none (an empty cell)."""
    return sep.join(dict.fromkeys(x for x in texts if x)) or None


def _numbered(texts: Any) -> str | None:
    items = list(dict.fromkeys(x for x in texts if x))
    if len(items) <= 1:
        return items[0] if items else None
    return "\n".join(f"{i}. {x}" for i, x in enumerate(items, start=1))


def preview(
    session: Session, actor: Actor, filt: ListFilter, lang: str, limit: int = 50
) -> list[ControlRow]:
    return list(control_rows(session, actor, filt, lang, limit=limit))


class _Styles:
    """Template cells whose style is copied onto data cells: assigning a font, fill and
    alignment per cell re-hashes the style objects and took half the export's time."""

    def __init__(self, ws: Any) -> None:
        def template(**style: Any) -> Any:
            cell = WriteOnlyCell(ws)
            for name, value in style.items():
                setattr(cell, name, value)
            return cell._style

        self.ws = ws
        self.header = template(font=Font(bold=True), alignment=Alignment(wrap_text=True),
                               fill=PatternFill("solid", fgColor="FFDDE7F3"))  # fmt: skip
        self.wrap = template(alignment=Alignment(wrap_text=True, vertical="top"))
        self.level = {
            level: template(
                fill=PatternFill("solid", fgColor="FF" + colour.lstrip("#").upper()),
                font=Font(
                    bold=True, color="FF000000" if level == RiskLevel.GENERAL else "FFFFFFFF"
                ),
                alignment=Alignment(vertical="top"),
            )
            for level, colour in RISK_COLOURS.items()
        }

    def cell(self, value: Any, style: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = copy(style)
        return cell


def export_workbook(
    session: Session, actor: Actor, filt: ListFilter, lang: str, *, progress: Progress | None = None
) -> bytes:
    """The list as .xlsx: header in ``lang``, frozen, filterable, level cells in colour;
    audited as an export of risk points."""
    actor.require(Module.RISK, Action.EXPORT)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(t("risk_list.title", lang)))
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    styles = _Styles(ws)
    ws.append([styles.cell(text, styles.header) for text in header(lang)])
    wrapped = [i for i, (key, _) in enumerate(COLUMNS) if key in WRAPPED]
    total, rows = count(session, actor, filt) or 1, 0
    for row in control_rows(session, actor, filt, lang):
        cells: list[Any] = [safe_cell(v) for v in row.values]
        for i in wrapped:
            if cells[i] is not None:
                cells[i] = styles.cell(cells[i], styles.wrap)
        cells[LEVEL_COLUMN] = styles.cell(cells[LEVEL_COLUMN], styles.level[row.level])
        ws.append(cells)
        rows += 1
        if progress and rows % CHUNK == 0:
            progress(rows / total, t("export.rows", lang, count=rows))
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows + 1}"
    detail = {"report": "risk_control_list", "format": "xlsx", "rows": rows,
              "filters": filt.as_audit()}  # fmt: skip
    audit.record(session, actor, "export", table_name="risk_point", detail=detail)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
