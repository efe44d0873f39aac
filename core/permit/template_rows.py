"""One work type's template configuration as the editor holds it (``TemplateEdit``), and the
editor's table cells turned into template values: lists typed as text, empty cells, form-field
and approval-step rows, problems in words, the approval chain per grade."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.crud.validate import Problem
from core.i18n import has, t
from core.permit.templates import stages

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


# --- small conversions (the page's text cells) ---------------------------------------------


def split_list(text: Any) -> list[str]:
    """``"a, b，c"`` or a list → ``["a", "b", "c"]``."""
    items = text if isinstance(text, list | tuple) else re.split(r"[,，、;；]", str(text or ""))
    return [str(i).strip() for i in items if str(i).strip() and str(i).strip() != "nan"]


def blank(value: Any) -> bool:
    """An empty cell: None, NaN or blank text."""
    return value is None or value != value or (isinstance(value, str) and not value.strip())


def clean(value: Any) -> Any:
    """A table cell as a value: NaN and empty text are ``None``."""
    return None if blank(value) else value


def fields_from_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Form-field rows of the editor → ``form_fields``; wholly empty rows are dropped."""
    out = []
    for row in rows:
        if all(blank(row.get(k)) for k in ("name", "label", "label_en")):
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
        if blank(row.get("role")):
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


def plain(value: Any) -> Any:
    """An enum cell as its value, for comparing a row with the edit."""
    return getattr(value, "value", value)
