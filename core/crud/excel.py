"""Excel template, all-or-nothing import with a per-row error report, and Excel/CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import insert, tuple_
from sqlmodel import Session, select

from core import audit
from core.crud.cells import read_cell, safe_cell
from core.crud.custom import PREFIX, effective_fields
from core.crud.fields import CHOICE, FK, FieldSpec
from core.crud.lookup import FkResolver
from core.crud.present import table_rows
from core.crud.registry import TableSpec
from core.crud.service import (
    ListQuery,
    ValidationFailed,
    composite_uniques,
    filtered,
    guard_scope,
    prepare,
    scope_defaults,
)
from core.crud.validate import is_blank
from core.i18n import LANGUAGES, t
from core.rbac import Actor, PermissionDenied
from models.enums import Action

Progress = Callable[[float, str], None]
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
_REQUIRED_FONT = Font(bold=True, color="B00020")
EXPORT_BATCH = 2000
HEADER_SEARCH = 10  # rows searched for the header: titles and notes come first in users' files


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    header_row: int = 1

    @property
    def ok(self) -> bool:
        return not self.errors

    def header_note(self, lang: str) -> str:
        """Which sheet row was read as the header, for the user to check."""
        return t("import.header_row", lang, row=self.header_row)


def io_fields(session: Session, spec: TableSpec) -> tuple[FieldSpec, ...]:
    return tuple(f for f in effective_fields(session, spec) if f.in_io and f.in_form)


def template(session: Session, spec: TableSpec, actor: Actor, lang: str) -> bytes:
    """An empty sheet with labelled columns, required ones marked, choices as drop-downs."""
    actor.require(spec.module, Action.CREATE)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(t(spec.label_key, lang))
    specs = io_fields(session, spec)
    for col, f in enumerate(specs, start=1):
        cell = ws.cell(row=1, column=col, value=f.label_in(lang))
        cell.fill = _HEADER_FILL
        if f.required:
            cell.font = _REQUIRED_FONT
        cell.comment = Comment(_hint(f, lang), "SafeLoop")
        ws.column_dimensions[get_column_letter(col)].width = max(12, len(cell.value) * 2 + 2)
        if f.kind == CHOICE and f.choices:
            options = ",".join(f.choice_label(c, lang) for c in f.choices)
            if len(options) < 250:
                dv = DataValidation(
                    type="list", formula1=f'"{options}"', allow_blank=not f.required
                )
                ws.add_data_validation(dv)
                dv.add(f"{get_column_letter(col)}2:{get_column_letter(col)}10001")
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_title(text: str) -> str:
    """Excel forbids []:*?/\\ in sheet names and allows 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _hint(f: FieldSpec, lang: str) -> str:
    parts = [t("import.required" if f.required else "import.optional", lang)]
    parts.append(t(f"import.kind.{f.kind}", lang))
    if f.kind == CHOICE:
        parts.append(" / ".join(f.choice_label(c, lang) for c in f.choices))
    return "; ".join(parts)


def _known(specs: tuple[FieldSpec, ...]) -> dict[str, FieldSpec]:
    """Header text to field: the code, or the label in either language."""
    known: dict[str, FieldSpec] = {}
    for f in specs:
        known[f.name] = known[f.name.removeprefix(PREFIX)] = f
        for code in LANGUAGES:
            known[f.label_in(code)] = f
    return known


def _find_header(rows: list[tuple[Any, ...]], labels: set[str]) -> int:
    """Index of the header: of the first rows, the one naming the most columns, so a merged
    title, blank rows or a "unit / date" line above the table are skipped; with no column
    named anywhere, the first non-blank row (its unknown columns are then reported)."""
    head = rows[:HEADER_SEARCH]
    scores = [sum(not is_blank(v) and str(v).strip() in labels for v in row) for row in head]
    if max(scores) > 0:
        return scores.index(max(scores))
    return next((i for i, row in enumerate(head) if not all(is_blank(v) for v in row)), 0)


def _header_map(
    specs: tuple[FieldSpec, ...], header: list[Any], lang: str, read_only: set[str], row: int
) -> tuple[dict[int, FieldSpec], list[RowError]]:
    """Columns by label (either language) or code; read-only columns of an export (ID,
    computed fields) are skipped so an exported file imports as it is. Two columns for one
    field are refused: silently keeping one would import the other's data as nothing."""
    known = _known(specs)
    mapping: dict[int, FieldSpec] = {}
    first: dict[str, int] = {}
    errors = []
    for idx, value in enumerate(header):
        if is_blank(value) or str(value).strip() in read_only:
            continue
        f = known.get(str(value).strip())
        if f is None:
            errors.append(RowError(row, str(value), t("import.unknown_column", lang)))
        elif f.name in first:
            label = f.label_in(lang)
            letters = {"first": get_column_letter(first[f.name] + 1)}
            letters["second"] = get_column_letter(idx + 1)
            msg = t("import.duplicate_column", lang, label=label, **letters)
            errors.append(RowError(row, label, msg))
        else:
            mapping[idx] = f
            first[f.name] = idx
    for f in specs:
        if f.required and f.name not in first:
            errors.append(RowError(row, f.label_in(lang), t("import.missing_column", lang)))
    return mapping, errors


def _read_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            yield tuple(read_cell(v) for v in row)
    finally:
        wb.close()


def import_rows(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    data: bytes,
    lang: str,
    *,
    filename: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row, then insert all of them or none; errors name row, column, reason."""
    actor.require(spec.module, Action.CREATE)
    report = ImportReport()
    try:
        rows = list(_read_rows(data))
    except Exception:
        report.errors.append(RowError(0, "", t("import.not_excel", lang)))
        return report
    if not rows:
        report.errors.append(RowError(0, "", t("import.empty", lang)))
        return report
    specs = io_fields(session, spec)
    read_only = {"ID"} | {
        label
        for f in effective_fields(session, spec)
        if f.in_io and not f.in_form
        for label in (f.name, *(f.label_in(code) for code in LANGUAGES))
    }
    top = _find_header(rows, set(_known(specs)) | read_only)
    report.header_row = top + 1
    header = list(rows[top])
    mapping, report.errors = _header_map(specs, header, lang, read_only, report.header_row)
    if report.errors:
        return report
    body = [
        (n, r)
        for n, r in enumerate(rows[top + 1 :], start=top + 2)
        if not all(is_blank(v) for v in r)
    ]
    if not body:
        report.errors.append(RowError(0, "", t("import.no_rows", lang)))
        return report
    report.rows = len(body)
    resolver = FkResolver(session, actor)
    for f in specs:
        if f.kind == FK:
            col = next((i for i, m in mapping.items() if m is f), None)
            if col is not None:
                resolver.prefetch(
                    f, {r[col] for _, r in body if col < len(r) and not is_blank(r[col])}
                )
    records: list[dict[str, Any]] = []
    seen_unique: dict[tuple[str, Any], int] = {}
    for done, (row_no, row) in enumerate(body, start=1):
        raw = {f.name: row[i] if i < len(row) else None for i, f in mapping.items()}
        values, custom, problems = prepare(
            session, spec, actor, raw, partial=False, resolver=resolver, specs=specs
        )
        for p in problems:
            report.errors.append(
                RowError(row_no, spec_label(specs, p.field, lang), p.message(lang))
            )
        for f in spec.fields:
            if f.unique and values.get(f.name) is not None:
                key = (f.name, values[f.name])
                if key in seen_unique:
                    msg = t("import.duplicate_in_file", lang, row=seen_unique[key])
                    report.errors.append(RowError(row_no, f.label_in(lang), msg))
                seen_unique.setdefault(key, row_no)
        if not problems:
            scope_defaults(spec, actor, values)
            try:
                if spec.before_save:
                    spec.before_save(session, values, actor)
                guard_scope(session, spec, actor, values)
            except ValidationFailed as exc:
                for p in exc.problems:
                    label = spec_label(specs, p.field, lang)
                    report.errors.append(RowError(row_no, label, p.message(lang)))
            except PermissionDenied as exc:
                report.errors.append(RowError(row_no, "", exc.message(lang)))
            records.append({**values, "extra": custom, "_row": row_no})
        if progress and done % 500 == 0:
            progress(done / max(1, report.rows) * 0.8, t("import.validating", lang, done=done))
    _check_existing_unique(session, spec, records, report, lang)
    if report.errors:
        audit.record(
            session,
            actor,
            "import_rejected",
            table_name=spec.name,
            detail={"filename": filename, "rows": report.rows, "errors": len(report.errors)},
        )
        return report
    _insert(session, spec, actor, records, filename)
    report.created = len(records)
    if progress:
        progress(1.0, t("import.done", lang, count=report.created))
    return report


def spec_label(specs: tuple[FieldSpec, ...], name: str, lang: str) -> str:
    return next((f.label_in(lang) for f in specs if f.name == name), name)


def _check_existing_unique(
    session: Session,
    spec: TableSpec,
    records: list[dict[str, Any]],
    report: ImportReport,
    lang: str,
) -> None:
    """Unique values that already exist in the database, looked up in chunks."""
    for f in (f for f in spec.fields if f.unique):
        col = getattr(spec.model, f.name)
        wanted = sorted({r[f.name] for r in records if r.get(f.name) is not None})
        taken: set[Any] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            taken |= set(session.exec(select(col).where(col.in_(chunk))).all())
        for record in records:
            if record.get(f.name) in taken:
                msg = t("validation.duplicate", lang, value=record[f.name])
                report.errors.append(RowError(record["_row"], f.label_in(lang), msg))
    for names in composite_uniques(spec):
        _check_composite(session, spec, names, records, report, lang)


def _check_composite(
    session: Session,
    spec: TableSpec,
    names: tuple[str, ...],
    records: list[dict[str, Any]],
    report: ImportReport,
    lang: str,
) -> None:
    """A multi-column unique key (department name within its enterprise) repeated in the file
    or already in the database; reported instead of failing the bulk insert."""
    label = spec_label(spec.fields, names[-1], lang)
    keyed = [(r, tuple(r.get(n) for n in names)) for r in records]
    keyed = [(r, key) for r, key in keyed if None not in key]
    first: dict[tuple[Any, ...], int] = {}
    for record, key in keyed:
        if key in first:
            msg = t("import.duplicate_in_file", lang, row=first[key])
            report.errors.append(RowError(record["_row"], label, msg))
        first.setdefault(key, record["_row"])
    cols = [getattr(spec.model, n) for n in names]
    wanted = list(first)
    taken: set[tuple[Any, ...]] = set()
    for start in range(0, len(wanted), 500):
        stmt = select(*cols).where(tuple_(*cols).in_(wanted[start : start + 500]))
        taken |= {tuple(row) for row in session.exec(stmt).all()}
    for record, key in keyed:
        if key in taken:
            msg = t("validation.duplicate", lang, value=key[-1])
            report.errors.append(RowError(record["_row"], label, msg))


def _insert(
    session: Session, spec: TableSpec, actor: Actor, records: list[dict[str, Any]], filename: str
) -> None:
    """Bulk insert in the caller's transaction, then one audit entry per row plus a summary;
    a table's ``after_create`` hook (a workflow's opening event) runs for every imported row,
    as for a row made in a form."""
    model = spec.model
    clean = []
    for record in records:
        record.pop("_row")
        defaults = model.model_construct(**record).model_dump(warnings=False)  # defaults only
        clean.append({k: v for k, v in defaults.items() if k != "id"})
    ids = list(session.scalars(insert(model).returning(model.id), clean)) if clean else []
    items = [
        {
            "action": "create",
            "table_name": spec.name,
            "row_id": row_id,
            "enterprise_id": values.get("enterprise_id"),
            "after": audit.jsonable(values),
        }
        for row_id, values in zip(ids, clean, strict=True)
    ]
    items.append(
        {
            "action": "import",
            "table_name": spec.name,
            "detail": {"filename": filename, "rows": len(ids)},
        }
    )
    audit.record_many(session, actor, items)
    if spec.after_create is not None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in session.exec(select(model).where(model.id.in_(chunk)).order_by(model.id)):
                spec.after_create(session, row, actor)


def export(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    q: ListQuery,
    fmt: str,
    lang: str,
    *,
    progress: Progress | None = None,
) -> bytes:
    """The filtered list (all pages) as xlsx or csv, in the user's language; audited."""
    actor.require(spec.module, Action.EXPORT)
    specs = tuple(f for f in effective_fields(session, spec) if f.in_io)
    stmt = filtered(session, spec, actor, q).order_by(spec.model.id)
    header = ["ID", *(f.label_in(lang) for f in specs)]
    lines: list[list[Any]] = []
    batch: list[Any] = []
    for row in session.exec(stmt.execution_options(yield_per=EXPORT_BATCH)):
        batch.append(row)
        if len(batch) == EXPORT_BATCH:
            lines += _flatten(session, specs, batch, lang)
            batch = []
            if progress:
                progress(0.5, t("export.rows", lang, count=len(lines)))
    lines += _flatten(session, specs, batch, lang)
    audit.record(
        session,
        actor,
        "export",
        table_name=spec.name,
        detail={
            "format": fmt,
            "rows": len(lines),
            "search": q.search,
            "filters": audit.jsonable(q.filters),
        },
    )
    return (
        _to_xlsx(header, lines, t(spec.label_key, lang))
        if fmt == "xlsx"
        else _to_csv(header, lines)
    )


def _flatten(
    session: Session, specs: tuple[FieldSpec, ...], rows: list[Any], lang: str
) -> list[list[Any]]:
    return [[r["id"], *(r[f.name] for f in specs)] for r in table_rows(session, specs, rows, lang)]


def _to_xlsx(header: list[str], lines: list[list[Any]], title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    ws.append([safe_cell(v) for v in header])
    for line in lines:
        ws.append([safe_cell(v) for v in line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _to_csv(header: list[str], lines: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in line] for line in lines)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese CSV correctly
