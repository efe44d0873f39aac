"""Excel template, all-or-nothing import with a per-row error report, and Excel/CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import insert, tuple_
from sqlmodel import Session, select

from core import audit
from core.crud.cells import safe_cell
from core.crud.custom import effective_fields
from core.crud.fields import CHOICE, DATE, FK, FLOAT, INT, FieldSpec
from core.crud.headers import RowError, find_header, header_map, header_text, known
from core.crud.lookup import FkResolver
from core.crud.present import table_rows
from core.crud.readers import readable_fields
from core.crud.registry import TableSpec, listens, saved
from core.crud.service import (
    ListQuery,
    ValidationFailed,
    composite_uniques,
    filtered,
    guard_scope,
    prepare,
    scope_defaults,
)
from core.crud.sheets import HEADER_SEARCH, Limits, Refused, Sheet, number_text, open_sheet
from core.crud.validate import is_blank
from core.i18n import LANGUAGES, t
from core.rbac import Actor, PermissionDenied
from models.enums import Action

Progress = Callable[[float, str], None]
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
_REQUIRED_FONT = Font(bold=True, color="B00020")
EXPORT_BATCH = 2000
BATCH = 500  # rows validated together: one foreign-key lookup per column per batch
_NUMERIC = (INT, FLOAT, DATE)  # read through ``number_text``: full-width digits, "Ｌ＝３"


@dataclass
class ImportReport:
    created: int = 0
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    header_row: int = 0  # sheet row read as the header; 0 while none was (file refused)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def header_note(self, lang: str) -> str:
        """Which sheet row was read as the header, for the user to check ("" when none)."""
        return t("import.header_row", lang, row=self.header_row) if self.header_row else ""

    def skipped_note(self, lang: str) -> str:
        """The columns of the file that were knowingly not imported ("" when none)."""
        if not self.skipped:
            return ""
        return t("import.skipped_columns", lang, columns="、".join(self.skipped))


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


def import_rows(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    data: bytes,
    lang: str,
    *,
    filename: str = "",
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Validate every row, then insert all of them or none; errors name row, column, reason.

    The file is size-checked and streamed by ``core.crud.sheets`` (``limits`` default to
    the settings); rows are validated in batches as they are read, and only the validated
    values are kept until the insert, never the sheet itself.
    """
    actor.require(spec.module, Action.CREATE)
    report = ImportReport()
    limits = limits or Limits.from_settings()
    try:
        sheet = open_sheet(data, limits)
    except Refused as exc:
        report.errors.append(RowError(0, "", exc.message(lang)))
        return report
    try:
        records = _validate(session, spec, actor, sheet, lang, report, limits, progress)
    except Refused as exc:
        report.errors = [RowError(0, "", exc.message(lang))]
        return report
    finally:
        sheet.close()
    if records is None:
        return report
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


def _validate(
    session: Session,
    spec: TableSpec,
    actor: Actor,
    sheet: Sheet,
    lang: str,
    report: ImportReport,
    limits: Limits,
    progress: Progress | None,
) -> list[dict[str, Any]] | None:
    """The header, then every data row in batches; ``None`` when the header is unusable or
    there is no data row (the report says why)."""
    rows = sheet.rows()
    head = list(islice(rows, HEADER_SEARCH))
    if not head:
        report.errors.append(RowError(0, "", t("import.empty", lang)))
        return None
    specs = io_fields(session, spec)
    skip = _skipped(session, spec)
    top = find_header([r for _, r in head], set(known(specs)) | skip)
    report.header_row = head[top][0]
    columns = header_map(specs, head[top][1], lang, skip, report.header_row)
    report.errors, report.skipped = columns.errors, columns.skipped
    if report.errors:
        return None
    header = head[top][1]
    titles = {  # a column found by an alias is named as the file names it
        f.name: header_text(header[i])
        for i, f in columns.fields.items()
        if header_text(header[i]) in {header_text(a) for a in f.aliases}
    }
    checker = _RowChecker(session, spec, actor, specs, columns.fields, lang, report, titles)
    batch: list[tuple[int, tuple[Any, ...]]] = []
    for row_no, row in chain(head[top + 1 :], rows):
        if all(is_blank(v) for v in row):
            continue
        report.rows += 1
        if report.rows > limits.rows:
            raise Refused("import.too_many_rows", limit=limits.rows)
        batch.append((row_no, row))
        if len(batch) == BATCH:
            checker.check(batch)
            batch = []
            if progress:
                share = report.rows / max(1, sheet.scan.rows) * 0.8
                progress(min(share, 0.8), t("import.validating", lang, done=report.rows))
    checker.check(batch)
    if not report.rows:
        report.errors.append(RowError(0, "", t("import.no_rows", lang)))
        return None
    return checker.records


def _skipped(session: Session, spec: TableSpec) -> set[str]:
    """Headers read past: an export's ID and computed columns (so an exported file imports
    as it is) and the table's declared ``import_ignore``."""
    computed = {
        label
        for f in effective_fields(session, spec)
        if f.in_io and not f.in_form
        for label in (f.name, *(f.label_in(code) for code in LANGUAGES), *f.aliases)
    }
    return {"ID", *computed, *spec.import_ignore}


class _RowChecker:
    """Validates data rows batch by batch, keeping the values to insert and the errors."""

    def __init__(
        self,
        session: Session,
        spec: TableSpec,
        actor: Actor,
        specs: tuple[FieldSpec, ...],
        mapping: dict[int, FieldSpec],
        lang: str,
        report: ImportReport,
        titles: dict[str, str],
    ) -> None:
        self.session, self.spec, self.actor, self.specs = session, spec, actor, specs
        self.mapping, self.lang, self.report, self.titles = mapping, lang, report, titles
        self.resolver = FkResolver(session, actor)
        self.records: list[dict[str, Any]] = []
        self.seen_unique: dict[tuple[str, Any], int] = {}

    def check(self, batch: list[tuple[int, tuple[Any, ...]]]) -> None:
        raws = [(row_no, self._raw(row)) for row_no, row in batch]
        for f in self.mapping.values():
            if f.kind == FK:
                self.resolver.prefetch(
                    f, {raw[f.name] for _, raw in raws if not is_blank(raw[f.name])}
                )
        for row_no, raw in raws:
            self._row(row_no, raw)

    def _raw(self, row: tuple[Any, ...]) -> dict[str, Any]:
        raw = {f.name: row[i] if i < len(row) else None for i, f in self.mapping.items()}
        for f in self.mapping.values():
            if f.kind in _NUMERIC:
                raw[f.name] = number_text(raw[f.name])
        return raw

    def _error(self, row_no: int, name: str, message: str) -> None:
        """Named in the user's language, or as the file names a column found by alias."""
        label = self.titles.get(name) or (spec_label(self.specs, name, self.lang) if name else "")
        self.report.errors.append(RowError(row_no, label, message))

    def _row(self, row_no: int, raw: dict[str, Any]) -> None:
        spec, lang = self.spec, self.lang
        values, custom, problems = prepare(
            self.session, spec, self.actor, raw, partial=False, resolver=self.resolver,
            specs=self.specs,
        )  # fmt: skip
        for p in problems:
            self._error(row_no, p.field, p.message(lang))
        for f in spec.fields:
            if f.unique and values.get(f.name) is not None:
                key = (f.name, values[f.name])
                if key in self.seen_unique:
                    msg = t("import.duplicate_in_file", lang, row=self.seen_unique[key])
                    self._error(row_no, f.name, msg)
                self.seen_unique.setdefault(key, row_no)
        if problems:
            return
        scope_defaults(spec, self.actor, values)
        try:
            if spec.before_save:
                spec.before_save(self.session, values, self.actor)
            guard_scope(self.session, spec, self.actor, values)
        except ValidationFailed as exc:
            for p in exc.problems:
                self._error(row_no, p.field, p.message(lang))
        except PermissionDenied as exc:
            self._error(row_no, "", exc.message(lang))
        self.records.append({**values, "extra": custom, "_row": row_no})


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
    and its ``on_saved`` listeners for every chunk, as for a row made in a form."""
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
            "after": audit.shown_values(model.__tablename__, values),
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
    if spec.after_create is None and not listens(spec.name):
        return
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = list(session.exec(select(model).where(model.id.in_(chunk)).order_by(model.id)))
        for row in rows:
            if spec.after_create is not None:
                spec.after_create(session, row, actor)
        saved(session, spec.name, rows, actor)


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
    specs = tuple(f for f in readable_fields(session, spec, actor) if f.in_io)
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
    shown = table_rows(session, specs, rows, lang, as_json=True)  # import reads JSON back
    return [[r["id"], *(r[f.name] for f in specs)] for r in shown]


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
