"""Permit templates as data (作业票模板): their validation and the approval chain they declare.

An admin edits a template in the app; ``template_problems`` refuses one a permit could not be
run on (a duplicate field name, an unknown role, a measure of another type, a gas without a
limit, a chain with no approver) and says what is wrong. ``stages`` turns the step list into
the ordered stages of sign-off a permit of a given grade goes through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from models.permit_reference import (
    GasLimit,
    PermitApprovalRole,
    PermitGas,
    PermitMeasureItem,
    PermitTemplate,
    PermitTypeCode,
)

FIELD_KINDS = ("text", "textarea", "number", "choice", "date", "bool")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: The close-out signature (完工验收) is the last step of the form, not part of the approval.
CLOSE_OUT = PermitApprovalRole.ACCEPTOR


@dataclass(frozen=True)
class Step:
    """One signature the chain asks for; ``index`` is its place in the template's list."""

    index: int
    role: str
    parallel: bool = False
    grades: tuple[str, ...] = ()


def parse_steps(raw: Sequence[Any]) -> list[Step]:
    """Template steps, accepting the older plain role strings (one role per stage)."""
    steps = []
    for i, item in enumerate(raw or (), 1):
        if isinstance(item, str):
            steps.append(Step(i, item))
        elif isinstance(item, dict):
            steps.append(
                Step(
                    i,
                    str(item.get("role") or ""),
                    bool(item.get("parallel")),
                    tuple(str(g) for g in item.get("grades") or ()),
                )
            )
    return steps


def stages(raw: Sequence[Any], grade_code: str | None) -> list[list[Step]]:
    """The approval stages for a grade: steps in order, a parallel step joining the stage
    before it; steps limited to other grades and the close-out are left out."""
    out: list[list[Step]] = []
    for step in parse_steps(raw):
        if step.role == CLOSE_OUT or (step.grades and grade_code not in step.grades):
            continue
        if step.parallel and out:
            out[-1].append(step)
        else:
            out.append([step])
    return out


def has_close_out(raw: Sequence[Any]) -> bool:
    return any(s.role == CLOSE_OUT for s in parse_steps(raw))


def _field_problems(fields: Sequence[Any]) -> list[Problem]:
    problems, seen = [], set()
    for n, item in enumerate(fields or (), 1):
        if not isinstance(item, dict):
            problems.append(Problem("form_fields", "permit.tpl.field_shape", {"n": n}))
            continue
        name = str(item.get("name") or "")
        if not FIELD_NAME.match(name):
            problems.append(Problem("form_fields", "permit.tpl.field_name", {"n": n, "name": name}))
        elif name in seen:
            problems.append(Problem("form_fields", "permit.tpl.field_dup", {"name": name}))
        seen.add(name)
        if not str(item.get("label") or "").strip():
            problems.append(Problem("form_fields", "permit.tpl.field_label", {"n": n}))
        kind = item.get("kind") or "text"
        if kind not in FIELD_KINDS:
            problems.append(
                Problem(
                    "form_fields",
                    "permit.tpl.field_kind",
                    {"n": n, "kind": kind, "kinds": ", ".join(FIELD_KINDS)},
                )
            )
        if kind == "choice" and not [o for o in item.get("options") or () if str(o).strip()]:
            problems.append(Problem("form_fields", "permit.tpl.field_options", {"name": name}))
    return problems


def _step_problems(raw: Sequence[Any]) -> list[Problem]:
    roles = {r.value for r in PermitApprovalRole}
    steps = parse_steps(raw)
    problems = [
        Problem("approval_steps", "permit.tpl.step_role", {"n": s.index, "role": s.role})
        for s in steps
        if s.role not in roles
    ]
    if steps and steps[0].parallel:
        problems.append(Problem("approval_steps", "permit.tpl.step_parallel_first", {}))
    if not [s for s in steps if s.role != CLOSE_OUT and not s.grades]:
        problems.append(Problem("approval_steps", "permit.tpl.no_approver", {}))
    return problems


def template_problems(session: Session, values: dict[str, Any]) -> list[Problem]:
    """Everything that would make a permit of this template impossible to run."""
    type_code = str(values.get("type_code") or "")
    problems = _field_problems(values.get("form_fields") or [])
    problems += _step_problems(values.get("approval_steps") or [])
    codes = [str(c) for c in values.get("measure_codes") or []]
    if codes:
        known = set(
            session.exec(
                select(PermitMeasureItem.code).where(
                    col(PermitMeasureItem.code).in_(codes),
                    PermitMeasureItem.type_code == type_code,
                    col(PermitMeasureItem.deleted_at).is_(None),
                )
            ).all()
        )
        problems += [
            Problem("measure_codes", "permit.tpl.measure_unknown", {"code": c, "type": type_code})
            for c in codes
            if c not in known
        ]
    gases = [str(g) for g in values.get("gases") or []]
    valid_gases = {g.value for g in PermitGas}
    limited = set(
        session.exec(
            select(GasLimit.gas).where(
                GasLimit.type_code == type_code, col(GasLimit.deleted_at).is_(None)
            )
        ).all()
    )
    for gas in gases:
        if gas not in valid_gases:
            problems.append(Problem("gases", "permit.tpl.gas_unknown", {"gas": gas}))
        elif gas not in {str(g) for g in limited}:
            problems.append(
                Problem("gases", "permit.tpl.gas_no_limit", {"gas": f"enum.PermitGas.{gas}"})
            )
    if type_code and type_code not in {c.value for c in PermitTypeCode}:
        problems.append(Problem("type_code", "validation.choice", {}))
    return problems


def before_save_template(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Refuse a broken template; keep one default per type (a new default replaces the old)."""
    problems = template_problems(session, values)
    if problems:
        raise ValidationFailed(problems)
    if values.get("is_default") and values.get("type_code"):
        others = session.exec(
            select(PermitTemplate).where(
                PermitTemplate.type_code == values["type_code"],
                PermitTemplate.is_default,
                PermitTemplate.id != (values.get("id") or -1),
            )
        ).all()
        for other in others:
            other.is_default = False
            session.add(other)


def template_for(session: Session, type_code: str) -> PermitTemplate | None:
    """The default template of a type (the newest one if an admin left none marked)."""
    stmt = (
        select(PermitTemplate)
        .where(PermitTemplate.type_code == type_code, col(PermitTemplate.deleted_at).is_(None))
        .order_by(col(PermitTemplate.is_default).desc(), col(PermitTemplate.id).desc())
    )
    return session.exec(stmt).first()


def field_labels(template: PermitTemplate | None, lang: str) -> dict[str, str]:
    """Template field name → its label in ``lang`` (for showing a permit's extra fields)."""
    out = {}
    for item in template.form_fields if template else []:
        if isinstance(item, dict) and item.get("name"):
            english = item.get("label_en") if lang == "en" else None
            out[str(item["name"])] = str(english or item.get("label") or item["name"])
    return out


def form_value_problems(fields: Sequence[Any], values: dict[str, Any]) -> list[Problem]:
    """A permit's template fields: required ones filled, numbers numeric, choices valid."""
    problems = []
    for item in fields or ():
        if not isinstance(item, dict):
            continue
        name, kind = str(item.get("name")), item.get("kind") or "text"
        value = values.get(name)
        label = str(item.get("label") or name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if item.get("required"):
                problems.append(Problem(name, "permit.field_required", {"label": label}))
            continue
        if kind == "number":
            try:
                float(value)
            except (TypeError, ValueError):
                problems.append(Problem(name, "permit.field_number", {"label": label}))
        if kind == "choice" and str(value) not in [str(o) for o in item.get("options") or ()]:
            problems.append(Problem(name, "permit.field_choice", {"label": label}))
    return problems
