"""The permit template editor (作业票模板配置) without the widgets: everything an admin edits
for one work type, loaded as plain rows, and saved as one all-or-nothing change.

One edit covers the type's default template (form fields, measure checklist, approval steps,
gases, worker certificates, reading interval), the type's measure items (added, edited,
retired), its gas limits and its grades' validity windows. ``save_edit`` checks all of it
before writing anything and refuses the whole edit with every problem it found; then it
writes through the CRUD service, so each row change is validated and audited. A template that
permits already use is never edited in place: the edit becomes a new version (the default from
then on) and the old one stays for the permits that name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import Session, col, func, select

from core import audit
from core.crud import service
from core.crud.fields import fields
from core.crud.registry import TableSpec, get_spec
from core.crud.validate import Problem, parse_all
from core.i18n import has, t
from core.permit.templates import stages, template_for, template_problems
from core.rbac import Actor
from models.enums import Action, Module
from models.permit import Permit
from models.permit_reference import GasLimit, PermitGrade, PermitMeasureItem, PermitTemplate

MEASURE_KEYS = ("code", "text", "mandatory", "in_template", "position")
LIMIT_KEYS = (
    "code", "gas", "unit", "min_value", "max_value", "lel_min", "lel_max", "basis", "clause",
    "max_sample_age_min",
)  # fmt: skip
GRADE_KEYS = ("validity_hours", "bound_min", "bound_max", "bound_unit")
TEMPLATE_KEYS = (
    "name", "form_fields", "measure_codes", "approval_steps", "gases", "worker_certificates",
    "reading_interval_min",
)  # fmt: skip
#: Problems ``template_problems`` finds against the database; the editor judges them against
#: the edit itself, since the edit changes the measures and limits they look up.
TEMPLATE_LABELS = {"name": "permit_tpl.name", "reading_interval_min": "permit_tpl.reading_interval"}
GAS_CODES = {"oxygen": "O2", "combustible": "LEL", "h2s": "H2S", "co": "CO"}
AGAINST_EDIT = {"permit.tpl.measure_unknown", "permit.tpl.gas_no_limit"}


@dataclass
class TemplateEdit:
    """One type's editable configuration; rows carry ``id`` (None for a new row) and a row
    missing from ``measures`` or ``limits`` is retired."""

    type_code: str
    template_id: int | None
    name: str
    code: str = ""
    version: str = "1"
    form_fields: list[dict[str, Any]] = field(default_factory=list)
    approval_steps: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    gases: list[str] = field(default_factory=list)
    limits: list[dict[str, Any]] = field(default_factory=list)
    worker_certificates: list[str] = field(default_factory=list)
    reading_interval_min: int | None = None
    grades: list[dict[str, Any]] = field(default_factory=list)
    used_by: int = 0


@dataclass(frozen=True)
class SaveResult:
    template_id: int
    new_version: bool
    version: str


# --- small conversions (the page's text cells) ---------------------------------------------


def split_list(text: Any) -> list[str]:
    """``"a, b，c"`` or a list → ``["a", "b", "c"]``."""
    items = text if isinstance(text, list | tuple) else re.split(r"[,，、;；]", str(text or ""))
    return [str(i).strip() for i in items if str(i).strip() and str(i).strip() != "nan"]


def _blank(value: Any) -> bool:
    return value is None or value != value or (isinstance(value, str) and not value.strip())


def clean(value: Any) -> Any:
    """A table cell as a value: NaN and empty text are ``None``."""
    return None if _blank(value) else value


def fields_from_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Form-field rows of the editor → ``form_fields``; wholly empty rows are dropped."""
    out = []
    for row in rows:
        if all(_blank(row.get(k)) for k in ("name", "label", "label_en")):
            continue
        item = {
            "name": str(clean(row.get("name")) or "").strip(),
            "label": str(clean(row.get("label")) or "").strip(),
            "label_en": str(clean(row.get("label_en")) or "").strip(),
            "kind": str(clean(row.get("kind")) or "text"),
            "required": bool(clean(row.get("required")) or False),
        }
        options = split_list(clean(row.get("options")))
        if options or item["kind"] == "choice":
            item["options"] = options
        out.append(item)
    return out


def steps_from_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Approval-step rows → ``approval_steps``, ordered by their ``order`` cell."""
    keyed = []
    for n, row in enumerate(rows):
        if _blank(row.get("role")):
            continue
        order = clean(row.get("order"))
        keyed.append(
            (
                float(order) if order is not None else 1e9,
                n,
                {
                    "role": str(row["role"]),
                    "parallel": bool(clean(row.get("parallel")) or False),
                    "grades": split_list(clean(row.get("grades"))),
                },
            )
        )
    return [step for _, _, step in sorted(keyed, key=lambda k: k[:2])]


def problem_text(problem: Problem, lang: str) -> str:
    """A problem in words; parameters that are catalogue keys (a gas, a section) or nested
    problems (a row's field) are put in words too."""
    params = {}
    for k, v in problem.params.items():
        if isinstance(v, Problem):
            params[k] = problem_text(v, lang)
        elif isinstance(v, str) and has(v, lang):
            params[k] = t(v, lang)
        else:
            params[k] = v
    return t(problem.key, lang, **params)


def chain_preview(steps: Sequence[Any], grade_codes: Sequence[str]) -> dict[str, list[list[str]]]:
    """``{grade: [[role, ...] per stage]}``: who signs, in which order, for each grade."""
    return {g: [[s.role for s in stage] for stage in stages(steps, g)] for g in grade_codes}


# --- load -----------------------------------------------------------------------------------


def used_by(session: Session, template_id: int | None) -> int:
    if template_id is None:
        return 0
    stmt = select(func.count()).select_from(Permit).where(Permit.template_id == template_id)
    return int(session.exec(stmt).one())


def _active(model: Any, type_code: str) -> Any:
    return select(model).where(model.type_code == type_code, col(model.deleted_at).is_(None))


def load_edit(session: Session, type_code: str) -> TemplateEdit:
    """The type's default template and reference rows, as the editor shows them."""
    tpl = template_for(session, type_code)
    codes = [str(c) for c in (tpl.measure_codes if tpl else [])]
    measures = session.exec(
        _active(PermitMeasureItem, type_code).order_by(
            PermitMeasureItem.position, PermitMeasureItem.code
        )
    ).all()
    limits = session.exec(_active(GasLimit, type_code).order_by(GasLimit.code)).all()
    grades = session.exec(
        _active(PermitGrade, type_code).order_by(PermitGrade.rank, PermitGrade.code)
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
        limits=[{"id": r.id, **{k: _plain(getattr(r, k)) for k in LIMIT_KEYS}} for r in limits],
        worker_certificates=[str(c) for c in (tpl.worker_certificates if tpl else [])],
        reading_interval_min=tpl.reading_interval_min if tpl else None,
        grades=[
            {"id": g.id, "code": g.code, "name": g.name, "name_en": g.name_en}
            | {k: getattr(g, k) for k in GRADE_KEYS}
            for g in grades
        ],
        used_by=used_by(session, tpl.id if tpl else None),
    )


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


# --- check and save -------------------------------------------------------------------------


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
class _Plan:
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
    plan: _Plan,
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
            changed = {k: v for k, v in raw.items() if v != _plain(getattr(old, k))}
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


def _plan_grades(session: Session, actor: Actor, plan: _Plan, edit: TemplateEdit) -> None:
    spec = get_spec("permit_grade")
    current = {g.id: g for g in session.exec(_active(PermitGrade, edit.type_code))}
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


def check_edit(session: Session, actor: Actor, edit: TemplateEdit) -> tuple[_Plan, dict[str, Any]]:
    """Every problem of the edit, and the writes it would make; writes nothing."""
    plan = _Plan()
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
