"""The check of a template edit (作业票模板配置): every problem of every section at once, and
the row writes the edit would make (creates, updates, restores, retires), decided before
anything is written so ``save_edit`` can refuse the whole edit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, select

from core.crud import service
from core.crud.fields import fields
from core.crud.registry import TableSpec, get_spec
from core.crud.validate import Problem, parse_all
from core.i18n import has
from core.permit.template_rows import GRADE_KEYS, TemplateEdit, clean, plain, split_list
from core.permit.templates import template_problems
from core.rbac import Actor
from models.permit_reference import PermitGrade, PermitTemplate

TEMPLATE_LABELS = {"name": "permit_tpl.name", "reading_interval_min": "permit_tpl.reading_interval"}
GAS_CODES = {"oxygen": "O2", "combustible": "LEL", "h2s": "H2S", "co": "CO"}
#: Problems ``template_problems`` finds against the database; the editor judges them against
#: the edit itself, since the edit changes the measures and limits they look up.
AGAINST_EDIT = {"permit.tpl.measure_unknown", "permit.tpl.gas_no_limit"}


def active(model: Any, type_code: str) -> Any:
    """A type's live rows of a reference table (measures, limits, grades)."""
    return select(model).where(model.type_code == type_code, col(model.deleted_at).is_(None))


def _row_problem(section: str, n: int, spec: TableSpec, p: Problem) -> Problem:
    label = spec.field(p.field).label_key if p.field in {f.name for f in spec.fields} else p.field
    return Problem(
        section, "permit_tpl.row", {"section": section, "n": n, "column": label, "detail": p}
    )


def _with_defaults(model: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """A new row's empty cells take the column default (a limit's unit, a measure's flag)."""
    out = dict(raw)
    for name, value in raw.items():
        default = model.model_fields[name].default
        if value is None and default is not None and not repr(default).startswith("Pydantic"):
            out[name] = getattr(default, "value", default)
    return out


@dataclass
class EditPlan:
    """Row writes decided by the check, applied only when it found nothing wrong."""

    creates: list[tuple[TableSpec, dict[str, Any]]] = field(default_factory=list)
    updates: list[tuple[TableSpec, int, dict[str, Any]]] = field(default_factory=list)
    restores: list[tuple[TableSpec, int]] = field(default_factory=list)
    retires: list[tuple[TableSpec, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _next_code(pattern: str, taken: set[str]) -> str:
    k = 1
    while (code := pattern.format(k=k)) in taken:
        k += 1
    taken.add(code)
    return code


def _plan_rows(
    session: Session,
    actor: Actor,
    plan: EditPlan,
    *,
    spec: TableSpec,
    type_code: str,
    rows: Sequence[dict[str, Any]],
    section: str,
    essential: tuple[str, ...],
    code_pattern: str,
) -> list[dict[str, Any]]:
    """Check one section's rows (measures or limits) and plan their writes; returns the rows
    as they will be, for the template checks."""
    model = spec.model
    names = [f.name for f in spec.fields if f.name != "type_code"]
    all_rows = {r.code: r for r in session.exec(select(model))}
    current = {r.id: r for r in all_rows.values() if r.type_code == type_code and not r.deleted_at}
    taken = set(all_rows) | {str(clean(r.get("code")) or "") for r in rows}
    final, seen, kept = [], set(), set()
    for n, row in enumerate(rows, 1):
        raw = {k: clean(row.get(k)) for k in names}
        raw = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
        if all(raw.get(k) is None for k in essential):
            continue
        if raw.get("code") is None:  # a new row without a code gets the next free one
            gas = GAS_CODES.get(str(raw.get("gas")), str(raw.get("gas")).upper())
            raw["code"] = row["code"] = _next_code(
                code_pattern.format(type=type_code, gas=gas), taken
            )
        if raw["code"] in seen:
            dup = Problem("code", "validation.duplicate", {"value": raw["code"]})
            plan.problems.append(_row_problem(section, n, spec, dup))
            continue
        seen.add(raw["code"])
        final.append(raw)
        row_id = clean(row.get("id"))
        old = current.get(int(row_id)) if row_id is not None else None
        restored = all_rows.get(raw["code"])
        if old is None and restored is not None and restored.type_code == type_code:
            old = restored if restored.deleted_at else None
            if old is not None:
                plan.restores.append((spec, old.id))
        if old is not None:
            kept.add(old.id)
            changed = {k: v for k, v in raw.items() if v != plain(getattr(old, k))}
            if not changed:
                continue
            values, _, problems = service.prepare(session, spec, actor, changed, partial=True)
            problems += service.unique_problems(session, spec, values, old.id)
            plan.updates.append((spec, old.id, changed))
        else:
            raw = _with_defaults(model, {**raw, "type_code": type_code})
            values, _, problems = service.prepare(session, spec, actor, raw, partial=False)
            problems += service.unique_problems(session, spec, values, None)
            plan.creates.append((spec, raw))
        plan.problems += [_row_problem(section, n, spec, p) for p in problems]
        low, high = _num(raw.get("min_value")), _num(raw.get("max_value"))
        if low is not None and high is not None and low > high:
            plan.problems.append(
                Problem(section, "permit_tpl.range_order", {"section": section, "n": n})
            )
    plan.retires += [(spec, i) for i in current if i not in kept]
    return final


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _plan_grades(session: Session, actor: Actor, plan: EditPlan, edit: TemplateEdit) -> None:
    spec = get_spec("permit_grade")
    current = {g.id: g for g in session.exec(active(PermitGrade, edit.type_code))}
    for n, row in enumerate(edit.grades, 1):
        grade = current.get(int(row["id"])) if clean(row.get("id")) is not None else None
        if grade is None:
            continue
        raw = {k: clean(row.get(k)) for k in GRADE_KEYS}
        changed = {k: v for k, v in raw.items() if v != getattr(grade, k)}
        if changed:
            _, _, problems = service.prepare(session, spec, actor, changed, partial=True)
            plan.problems += [_row_problem("permit_tpl.grades", n, spec, p) for p in problems]
            plan.updates.append((spec, grade.id, changed))
        low, high = _num(raw["bound_min"]), _num(raw["bound_max"])
        if low is not None and high is not None and low > high:
            plan.problems.append(Problem("grades", "permit_tpl.bound_order", {"grade": grade.code}))


def template_values(edit: TemplateEdit) -> dict[str, Any]:
    """The template columns an edit sets; measures ticked "in template" in position order."""
    ticked = [m for m in edit.measures if clean(m.get("in_template")) and clean(m.get("code"))]
    ticked.sort(key=lambda m: _num(clean(m.get("position"))) or 0.0)
    return {
        "type_code": edit.type_code,
        "name": (edit.name or "").strip(),
        "form_fields": list(edit.form_fields),
        "measure_codes": [str(m["code"]).strip() for m in ticked],
        "approval_steps": list(edit.approval_steps),
        "gases": [str(g) for g in edit.gases],
        "worker_certificates": split_list(edit.worker_certificates),
        "reading_interval_min": clean(edit.reading_interval_min),
    }


def _template_problems(
    session: Session,
    edit: TemplateEdit,
    values: dict[str, Any],
    measures: list[dict[str, Any]],
    limits: list[dict[str, Any]],
) -> list[Problem]:
    problems = [p for p in template_problems(session, values) if p.key not in AGAINST_EDIT]
    codes = {m["code"] for m in measures}
    problems += [
        Problem(
            "measure_codes",
            "permit.tpl.measure_unknown",
            {"code": c, "type": f"enum.PermitTypeCode.{edit.type_code}"},
        )
        for c in values["measure_codes"]
        if c not in codes
    ]
    limited = {str(r.get("gas")) for r in limits}
    problems += [
        Problem("gases", "permit.tpl.gas_no_limit", {"gas": f"enum.PermitGas.{g}"})
        for g in values["gases"]
        if g not in limited and has(f"enum.PermitGas.{g}")
    ]
    grade_codes = {str(g["code"]) for g in edit.grades}
    for n, step in enumerate(values["approval_steps"], 1):
        unknown = [g for g in step.get("grades") or () if g not in grade_codes]
        if unknown:
            problems.append(
                Problem(
                    "approval_steps",
                    "permit_tpl.step_grade",
                    {"n": n, "grades": ", ".join(unknown)},
                )
            )
    _, own = parse_all(fields(PermitTemplate, "name", "reading_interval_min"), values)
    return problems + [
        Problem(
            p.field, "permit_tpl.field_problem", {"column": TEMPLATE_LABELS[p.field], "detail": p}
        )
        for p in own
    ]


def check_edit(
    session: Session, actor: Actor, edit: TemplateEdit
) -> tuple[EditPlan, dict[str, Any]]:
    """Every problem of the edit, and the writes it would make; writes nothing."""
    plan = EditPlan()
    # rows are copied: a new row's generated code is written into the copy
    edit = replace(
        edit,
        measures=[dict(r) for r in edit.measures],
        limits=[dict(r) for r in edit.limits],
    )
    measures = _plan_rows(
        session, actor, plan, spec=get_spec("permit_measure_item"), type_code=edit.type_code,
        rows=edit.measures, section="permit_tpl.measures", essential=("code", "text"),
        code_pattern="{type}-{{k:02d}}",
    )  # fmt: skip
    limits = _plan_rows(
        session, actor, plan, spec=get_spec("gas_limit"), type_code=edit.type_code,
        rows=edit.limits, section="permit_tpl.limits", essential=("code", "gas"),
        code_pattern="{type}-{gas}-{{k}}",
    )  # fmt: skip
    _plan_grades(session, actor, plan, edit)
    values = template_values(edit)
    plan.problems += _template_problems(session, edit, values, measures, limits)
    return plan, values
