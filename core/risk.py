"""Risk scoring (LEC and LS) and the level bands, as plain functions.

The risk point's before-save hook calls them, so a form, an Excel import and the demo compute
the same D / R and level. Admissible factor values and level bands come from the reference
tables (editable by the admin); where a table is still empty the shipped JSON is used, so a
fresh database scores exactly as the standard's tables say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlmodel import Session, select

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from core.reference import REFERENCE_DIR
from models.enums import RiskLevel
from models.risk import LecFactor, LsFactor, RiskLevelRule, ScoringMethod

SEVERITY = (RiskLevel.LOW, RiskLevel.GENERAL, RiskLevel.SIGNIFICANT, RiskLevel.MAJOR)
STAGES = ("inherent", "residual")


@dataclass(frozen=True)
class Band:
    """One level's score band: ``low < score <= high`` (None: open end)."""

    method: str
    level: str
    low: float | None
    high: float | None

    def holds(self, score: float) -> bool:
        return (self.low is None or score > self.low) and (self.high is None or score <= self.high)


def lec_score(l: float, e: float, c: float) -> float:  # noqa: E741 - the method's own letters
    """D = L × E × C, rounded so 0.1 × 6 × 15 reads 9.0, not 9.000000000000002."""
    return round(l * e * c, 4)


def ls_score(l: int, s: int) -> int:  # noqa: E741
    """R = L × S on the 5 × 5 matrix."""
    return int(l) * int(s)


def level_for(method: str, score: float, rules: Iterable[Band | RiskLevelRule]) -> RiskLevel:
    """The most severe level whose band holds ``score``; low when no band does."""
    bands = [_band(r) for r in rules if str(r.method) == str(method)]
    for level in reversed(SEVERITY):
        if any(b.level == level and b.holds(score) for b in bands):
            return level
    return RiskLevel.LOW


def more_severe(a: RiskLevel | str, b: RiskLevel | str) -> RiskLevel:
    return max(RiskLevel(a), RiskLevel(b), key=SEVERITY.index)


def _band(rule: Band | RiskLevelRule) -> Band:
    if isinstance(rule, Band):
        return rule
    return Band(str(rule.method), str(rule.level), rule.min_exclusive, rule.max_inclusive)


@cache
def _shipped(name: str) -> tuple[dict[str, Any], ...]:
    doc = json.loads((REFERENCE_DIR / "risk" / name).read_text(encoding="utf-8"))
    return tuple(doc["rows"])


def shipped_bands() -> list[Band]:
    return [
        Band(r["method"], r["level"], r["min_exclusive"], r["max_inclusive"])
        for r in _shipped("risk_level_rule.json")
    ]


def bands(session: Session) -> list[Band]:
    rows = session.exec(select(RiskLevelRule).where(RiskLevelRule.deleted_at.is_(None))).all()
    return [_band(r) for r in rows] or shipped_bands()


def lec_values(session: Session) -> dict[str, set[float]]:
    """Admissible values per LEC factor (L, E, C)."""
    rows = session.exec(select(LecFactor).where(LecFactor.deleted_at.is_(None))).all()
    pairs = [(str(r.factor), r.value) for r in rows]
    if not pairs:
        files = ("lec_l.json", "lec_e.json", "lec_c.json")
        pairs = [(r["factor"], r["value"]) for f in files for r in _shipped(f)]
    return _group(pairs)


def ls_values(session: Session) -> dict[str, set[float]]:
    rows = session.exec(select(LsFactor).where(LsFactor.deleted_at.is_(None))).all()
    pairs = [(str(r.factor), float(r.value)) for r in rows]
    if not pairs:
        pairs = [(r["factor"], float(r["value"])) for r in _shipped("ls_factor.json")]
    return _group(pairs)


def _group(pairs: list[tuple[str, float]]) -> dict[str, set[float]]:
    out: dict[str, set[float]] = {}
    for factor, value in pairs:
        out.setdefault(factor, set()).add(float(value))
    return out


def _check(values: dict[str, Any], column: str, allowed: set[float], problems: list[Problem]):
    value = values.get(column)
    if value is None:
        problems.append(Problem(column, "validation.required", {}))
    elif float(value) not in allowed:
        options = " / ".join(f"{v:g}" for v in sorted(allowed, reverse=True))
        problems.append(
            Problem(
                column, "validation.risk_factor_value", {"value": f"{value:g}", "options": options}
            )
        )


def score_point(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Before-save hook of ``risk_point``: check the factors, compute D / R and the levels.

    The scoring method picks which factors are required; a value outside the reference table
    (say L = 7) is refused with the admissible values in the message.
    """
    method = ScoringMethod(values.get("scoring") or ScoringMethod.LEC)
    problems: list[Problem] = []
    if method == ScoringMethod.LEC:
        allowed = lec_values(session)
        for stage in STAGES:
            for f in ("l", "e", "c"):
                _check(values, f"{stage}_{f}", allowed.get(f.upper(), set()), problems)
    else:
        allowed = ls_values(session)
        for stage in STAGES:
            for f in ("l", "s"):
                _check(values, f"{stage}_ls_{f}", allowed.get(f.upper(), set()), problems)
    if problems:
        raise ValidationFailed(problems)
    rules = bands(session)
    for stage in STAGES:
        if method == ScoringMethod.LEC:
            d = lec_score(values[f"{stage}_l"], values[f"{stage}_e"], values[f"{stage}_c"])
            values[f"{stage}_d"], score = d, d
        else:
            r = ls_score(values[f"{stage}_ls_l"], values[f"{stage}_ls_s"])
            values[f"{stage}_r"], score = r, r
        values[f"{stage}_level"] = level_for(method, score, rules)
    residual = values["residual_level"]
    raised = values.get("current_level") if values.get("current_reason") else None
    values["current_level"] = more_severe(residual, raised) if raised else residual


def inherit_point_scope(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A measure belongs where its risk point is, so scope follows the point."""
    from models.risk_register import RiskPoint

    point = session.get(RiskPoint, values.get("point_id") or -1)
    if point is not None:
        values["enterprise_id"] = point.enterprise_id
        if values.get("department_id") is None:
            values["department_id"] = point.department_id
