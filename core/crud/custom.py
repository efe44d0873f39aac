"""Admin-defined fields: rows of ``custom_field`` become FieldSpecs stored in ``extra``."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.crud.fields import CHOICE, DATE, FLOAT, TEXT, FieldSpec
from core.crud.registry import TableSpec
from models.enums import FieldKind
from models.system import CustomField

PREFIX = "extra."
_KINDS = {
    FieldKind.TEXT: TEXT,
    FieldKind.NUMBER: FLOAT,
    FieldKind.DATE: DATE,
    FieldKind.CHOICE: CHOICE,
}


def custom_specs(session: Session, table_name: str) -> tuple[FieldSpec, ...]:
    rows = session.exec(
        select(CustomField)
        .where(CustomField.table_name == table_name, CustomField.deleted_at.is_(None))
        .order_by(CustomField.position, CustomField.id)
    ).all()
    return tuple(
        FieldSpec(
            name=PREFIX + row.code,
            kind=_KINDS[FieldKind(row.kind)],
            required=row.required,
            choices=tuple(row.choices or ()),
            max_length=200 if row.kind == FieldKind.TEXT else None,
            custom=True,
            labels={"zh-CN": row.label_zh, "en": row.label_en},
            filter=row.kind == FieldKind.CHOICE,
        )
        for row in rows
    )


def effective_fields(session: Session, spec: TableSpec) -> tuple[FieldSpec, ...]:
    """The declared fields followed by the table's active custom fields."""
    if not spec.allow_custom_fields:
        return spec.fields
    return spec.fields + custom_specs(session, spec.name)


def read(row: Any, f: FieldSpec) -> Any:
    """A field's value on a row, wherever it is stored."""
    if f.custom:
        return (row.extra or {}).get(f.name.removeprefix(PREFIX))
    return getattr(row, f.name)
