"""The permit template editor (作业票模板配置) without the widgets: everything an admin edits
for one work type, loaded as plain rows, and saved as one all-or-nothing change.

One edit covers the type's default template (form fields, measure checklist, approval steps,
gases, worker certificates, reading interval), the type's measure items (added, edited,
retired), its gas limits and its grades' validity windows. ``save_edit`` checks all of it
before writing anything and refuses the whole edit with every problem it found; then it
writes through the CRUD service, so each row change is validated and audited. A template that
permits already use is never edited in place: the edit becomes a new version (the default from
then on) and the old one stays for the permits that name it.

The edit's shape and the page's cell conversions are ``core.permit.template_rows``; the
check that decides the writes is ``core.permit.template_check``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

from core import audit
from core.crud import service
from core.crud.registry import get_spec
from core.permit.template_check import active, check_edit
from core.permit.template_rows import GRADE_KEYS, LIMIT_KEYS, TemplateEdit, plain
from core.permit.templates import template_for
from core.rbac import Actor
from models.enums import Action, Module
from models.permit import Permit
from models.permit_reference import GasLimit, PermitGrade, PermitMeasureItem, PermitTemplate


@dataclass(frozen=True)
class SaveResult:
    template_id: int
    new_version: bool
    version: str


# --- load -----------------------------------------------------------------------------------


def used_by(session: Session, template_id: int | None) -> int:
    if template_id is None:
        return 0
    stmt = select(func.count()).select_from(Permit).where(Permit.template_id == template_id)
    return int(session.exec(stmt).one())


def load_edit(session: Session, type_code: str) -> TemplateEdit:
    """The type's default template and reference rows, as the editor shows them."""
    tpl = template_for(session, type_code)
    codes = [str(c) for c in (tpl.measure_codes if tpl else [])]
    measures = session.exec(
        active(PermitMeasureItem, type_code).order_by(
            PermitMeasureItem.position, PermitMeasureItem.code
        )
    ).all()
    limits = session.exec(active(GasLimit, type_code).order_by(GasLimit.code)).all()
    grades = session.exec(
        active(PermitGrade, type_code).order_by(PermitGrade.rank, PermitGrade.code)
    ).all()
    return TemplateEdit(
        type_code=type_code,
        template_id=tpl.id if tpl else None,
        name=tpl.name if tpl else type_code,
        code=tpl.code if tpl else "",
        version=tpl.version if tpl else "1",
        form_fields=[dict(f) for f in (tpl.form_fields if tpl else []) if isinstance(f, dict)],
        approval_steps=[
            {"role": s, "parallel": False, "grades": []} if isinstance(s, str) else dict(s)
            for s in (tpl.approval_steps if tpl else [])
        ],
        measures=[
            {"id": m.id, **{k: getattr(m, k) for k in ("code", "text", "mandatory", "position")}}
            | {"in_template": m.code in codes}
            for m in measures
        ],
        gases=[str(g) for g in (tpl.gases if tpl else [])],
        limits=[{"id": r.id, **{k: plain(getattr(r, k)) for k in LIMIT_KEYS}} for r in limits],
        worker_certificates=[str(c) for c in (tpl.worker_certificates if tpl else [])],
        reading_interval_min=tpl.reading_interval_min if tpl else None,
        grades=[
            {"id": g.id, "code": g.code, "name": g.name, "name_en": g.name_en}
            | {k: getattr(g, k) for k in GRADE_KEYS}
            for g in grades
        ],
        used_by=used_by(session, tpl.id if tpl else None),
    )


# --- save -----------------------------------------------------------------------------------


def bump(version: str) -> str:
    """``"2022.1"`` → ``"2022.2"``, ``"3"`` → ``"4"``; text without a number gains ``.2``."""
    m = re.search(r"(\d+)$", version or "")
    return f"{version[: m.start()]}{int(m.group(1)) + 1}" if m else f"{version or '1'}.2"


def _new_code(session: Session, code: str) -> str:
    root = re.sub(r"-V\d+$", "", code)
    taken = set(session.exec(select(PermitTemplate.code)).all())
    k = 2
    while (new := f"{root[: 30 - len(f'-V{k}')]}-V{k}") in taken:
        k += 1
    return new


def _json_cell(value: Any) -> Any:
    """The CRUD parser reads an empty list as "no value" (NULL); ``"[]"`` keeps it a list."""
    return value if value != [] else "[]"


def _write_template(
    session: Session, actor: Actor, tpl: PermitTemplate | None, values: dict[str, Any], new: bool
) -> PermitTemplate:
    """Create or update through the CRUD service; columns the table declaration does not list
    (yet) are set on the row and audited as one more change of it."""
    spec = get_spec("permit_template")
    declared = {f.name for f in spec.fields}
    raw = {k: _json_cell(v) for k, v in values.items() if k in declared}
    extra = {k: v for k, v in values.items() if k not in declared}
    if new:
        for other in session.exec(
            select(PermitTemplate).where(
                PermitTemplate.type_code == values["type_code"], PermitTemplate.is_default
            )
        ):
            before = audit.snapshot(other)
            other.is_default = False
            audit.record_update(session, actor, spec.name, other, before)
        code = _new_code(session, tpl.code) if tpl else f"TPL-{values['type_code']}"
        version = bump(tpl.version) if tpl else "1"
        raw |= {"code": code, "version": version, "is_default": True}
        row: Any = service.create_row(session, spec, actor, raw)
        before = audit.snapshot(row)
        for k, v in extra.items():
            setattr(row, k, v)
    else:
        assert tpl is not None
        row, before = tpl, audit.snapshot(tpl)
        for k, v in extra.items():  # before the update, so its checks see the new values
            setattr(row, k, v)
        service.update_row(session, spec, actor, row.id, raw)
    session.add(row)
    session.flush()
    after = audit.snapshot(row)
    delta = {k: after[k] for k in extra if before.get(k) != after[k]}
    if delta:
        audit.record(
            session,
            actor,
            "update",
            table_name=spec.name,
            row_id=row.id,
            before={k: before.get(k) for k in delta},
            after=delta,
        )
    return row


def save_edit(session: Session, actor: Actor, edit: TemplateEdit) -> SaveResult:
    """Check the whole edit, then write it in the caller's transaction; refuse it all
    (``ValidationFailed`` with every problem, nothing written) if anything is wrong."""
    actor.require(Module.PERMIT, Action.CONFIGURE)
    plan, values = check_edit(session, actor, edit)
    if plan.problems:
        raise service.ValidationFailed(plan.problems)
    for spec, row_id in plan.restores:
        service.restore(session, spec, actor, row_id)
    for spec, row_id, raw in plan.updates:
        service.update_row(session, spec, actor, row_id, raw)
    for spec, raw in plan.creates:
        service.create_row(session, spec, actor, raw)
    for spec, row_id in plan.retires:
        service.soft_delete(session, spec, actor, row_id)
    session.flush()
    tpl = session.get(PermitTemplate, edit.template_id) if edit.template_id else None
    new = tpl is None or used_by(session, tpl.id) > 0
    row = _write_template(session, actor, tpl, values, new)
    return SaveResult(row.id, new and tpl is not None, row.version)
