"""Risk scoring (LEC and LS) and the level bands, as plain functions.

The risk point's before-save hook calls them, so a form, an Excel import and the demo compute
the same D / R and level. Admissible factor values and level bands come from the point's
scoring scheme (``core.risk.schemes``): the active scheme of its method when it is scored or
re-scored, the scheme it was scored under otherwise. Where no scheme exists yet (a database
before its reference data is loaded) the shipped JSON is used, so a fresh database scores
exactly as the standard's tables say.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.rbac import Actor
from core.reference import REFERENCE_DIR
from core.risk.schemes import active_scheme
from models.enums import RiskLevel
from models.risk import (
    AnalysisKind,
    IdentificationMethod,
    LecFactor,
    LsFactor,
    RiskLevelRule,
    ScoringMethod,
    ScoringScheme,
)
from models.risk_register import RiskPoint

SEVERITY = (RiskLevel.LOW, RiskLevel.GENERAL, RiskLevel.SIGNIFICANT, RiskLevel.MAJOR)
STAGES = ("inherent", "residual")
#: Input columns per method (after the ``inherent_`` / ``residual_`` prefix) and the score.
FACTORS: dict[ScoringMethod, tuple[str, ...]] = {
    ScoringMethod.LEC: ("l", "e", "c"),
    ScoringMethod.LS: ("ls_l", "ls_s"),
}
SCORE = {ScoringMethod.LEC: "d", ScoringMethod.LS: "r"}
INPUTS = ("scoring", *(f"{s}_{f}" for s in STAGES for fs in FACTORS.values() for f in fs))
_CACHE = "risk_scoring"
_SCHEME_MODELS = (ScoringScheme, LecFactor, LsFactor, RiskLevelRule)
T = TypeVar("T")


def _memo(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """Scheme lookups cached for one transaction: an import scores thousands of points
    against the same few rows (three queries a row made 5,000 rows take 40 s)."""
    store: dict[Hashable, Any] = session.info.setdefault(_CACHE, {})
    if key not in store:
        store[key] = compute()
    return store[key]


def _forget(session: OrmSession, *_: Any) -> None:
    session.info.pop(_CACHE, None)


@event.listens_for(OrmSession, "after_flush")
def _scheme_rows_flushed(session: OrmSession, _context: Any) -> None:
    """Any flushed change to a scheme or its rows (form, import, loader) drops the cache."""
    if any(
        isinstance(o, _SCHEME_MODELS) for o in chain(session.new, session.dirty, session.deleted)
    ):
        _forget(session)


for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    event.listen(OrmSession, _name, _forget)


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
    bands_ = [_band(r) for r in rules if str(r.method) == str(method)]
    for level in reversed(SEVERITY):
        if any(b.level == level and b.holds(score) for b in bands_):
            return level
    return RiskLevel.LOW


def more_severe(a: RiskLevel | str, b: RiskLevel | str) -> RiskLevel:
    return max(RiskLevel(a), RiskLevel(b), key=SEVERITY.index)


def one_above(level: RiskLevel | str) -> RiskLevel:
    """The next level up, major staying major: what failing controls raise a point to."""
    return SEVERITY[min(SEVERITY.index(RiskLevel(level)) + 1, len(SEVERITY) - 1)]


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


def bands(session: Session, scheme_id: int | None = None) -> list[Band]:
    """The bands of one scheme, or (no id) of each method's active scheme, where a method
    without a scheme falls back to the shipped bands."""
    ids = [scheme_id] if scheme_id is not None else []
    if scheme_id is None:
        ids = [s.id for m in ScoringMethod if (s := active_scheme(session, m)) is not None]
    rows = session.exec(
        select(RiskLevelRule).where(
            col(RiskLevelRule.scheme_id).in_(ids), col(RiskLevelRule.deleted_at).is_(None)
        )
    ).all()
    found = [_band(r) for r in rows]
    if scheme_id is not None:
        return found
    have = {b.method for b in found}
    return found + [b for b in shipped_bands() if b.method not in have]


def _scheme_bands(session: Session, scheme_id: int | None) -> list[Band]:
    return bands(session, scheme_id) if scheme_id is not None else shipped_bands()


def lec_values(session: Session, scheme_id: int | None = None) -> dict[str, set[float]]:
    """Admissible values per LEC factor (L, E, C) of a scheme (None: the shipped table)."""
    if scheme_id is None:
        files = ("lec_l.json", "lec_e.json", "lec_c.json")
        return _group([(r["factor"], r["value"]) for f in files for r in _shipped(f)])
    rows = session.exec(
        select(LecFactor.factor, LecFactor.value).where(
            LecFactor.scheme_id == scheme_id, col(LecFactor.deleted_at).is_(None)
        )
    ).all()
    return _group([(str(f), v) for f, v in rows])


def ls_values(session: Session, scheme_id: int | None = None) -> dict[str, set[float]]:
    """Admissible steps per LS axis (L, S) of a scheme (None: the shipped table)."""
    if scheme_id is None:
        return _group([(r["factor"], r["value"]) for r in _shipped("ls_factor.json")])
    rows = session.exec(
        select(LsFactor.factor, LsFactor.value).where(
            LsFactor.scheme_id == scheme_id, col(LsFactor.deleted_at).is_(None)
        )
    ).all()
    return _group([(str(f), v) for f, v in rows])


def _group(pairs: list[tuple[str, float]]) -> dict[str, set[float]]:
    out: dict[str, set[float]] = {}
    for factor, value in pairs:
        out.setdefault(str(factor), set()).add(float(value))
    return out


def _check(
    values: dict[str, Any],
    column: str,
    allowed: set[float],
    scheme: ScoringScheme | None,
    problems: list[Problem],
) -> None:
    value = values.get(column)
    if value is None:
        problems.append(Problem(column, "validation.required", {}))
    elif not allowed:
        code = scheme.code if scheme else ""
        problems.append(Problem(column, "validation.scheme_incomplete", {"scheme": code}))
    elif float(value) not in allowed:
        options = " / ".join(f"{v:g}" for v in sorted(allowed, reverse=True))
        problems.append(
            Problem(
                column, "validation.risk_factor_value", {"value": f"{value:g}", "options": options}
            )
        )


def _inputs(source: Any) -> tuple[Any, ...]:
    get = source.get if isinstance(source, dict) else lambda k: getattr(source, k, None)
    return tuple(str(v) if k == "scoring" else v for k in INPUTS for v in [get(k)])


def scheme_for(session: Session, values: dict[str, Any]) -> ScoringScheme | None:
    """The scheme a save scores under: the point's own while its method and factors are
    unchanged (editing a name must not re-grade it), else the active one of its method.

    Clearing ``scheme_id`` (see ``core.risk.schemes.rescore``) asks for the active scheme.
    """

    method = ScoringMethod(values.get("scoring") or ScoringMethod.LEC)
    kept = values.get("scheme_id")
    current = session.get(RiskPoint, values["id"]) if values.get("id") else None
    if current is not None and kept is not None and kept == current.scheme_id:
        scheme = session.get(ScoringScheme, kept)
        if scheme is not None and scheme.method == method and _inputs(values) == _inputs(current):
            return scheme
    return _memo(session, ("active", method), lambda: active_scheme(session, method))


def score_point(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Before-save hook of ``risk_point``: check the factors, compute D / R and the levels.

    The scoring method picks which factors are required; a value outside the scheme's table
    (say L = 7) is refused with the admissible values in the message. The other method's
    columns are cleared so a point never shows a stale score. A dynamically raised point
    (``current_reason`` set by ``core.risk.dynamic``) stays one level above its new residual.
    """
    method = ScoringMethod(values.get("scoring") or ScoringMethod.LEC)
    scheme = scheme_for(session, values)
    values["scheme_id"] = scheme.id if scheme else None
    values_of = lec_values if method == ScoringMethod.LEC else ls_values
    scheme_id = scheme.id if scheme else None
    allowed = _memo(session, ("values", method, scheme_id), lambda: values_of(session, scheme_id))
    problems: list[Problem] = []
    for stage in STAGES:
        for f in FACTORS[method]:
            wanted = allowed.get(f[-1].upper(), set())
            _check(values, f"{stage}_{f}", wanted, scheme, problems)
    rules = _memo(session, ("bands", scheme_id), lambda: _scheme_bands(session, scheme_id))
    if scheme and not any(b.method == method for b in rules):
        problems.append(Problem("scoring", "validation.scheme_incomplete", {"scheme": scheme.code}))
    if problems:
        raise ValidationFailed(problems)
    other = ScoringMethod.LS if method == ScoringMethod.LEC else ScoringMethod.LEC
    for stage in STAGES:
        for f in (*FACTORS[other], SCORE[other]):
            values[f"{stage}_{f}"] = None
        if method == ScoringMethod.LEC:
            score = lec_score(values[f"{stage}_l"], values[f"{stage}_e"], values[f"{stage}_c"])
        else:
            score = ls_score(values[f"{stage}_ls_l"], values[f"{stage}_ls_s"])
        values[f"{stage}_{SCORE[method]}"] = score
        values[f"{stage}_level"] = level_for(method, score, rules)
    residual = values["residual_level"]
    values["current_level"] = one_above(residual) if values.get("current_reason") else residual


def inherit_point_scope(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A measure belongs where its risk point is, so scope follows the point."""

    point = session.get(RiskPoint, values.get("point_id") or -1)
    if point is not None:
        values["enterprise_id"] = point.enterprise_id
        if values.get("department_id") is None:
            values["department_id"] = point.department_id


def before_save_analysis_item(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """An identification line is part of its point's record: same enterprise and
    department, and a JHA step or an SCL item as the point is identified by JHA or SCL."""

    point = session.get(RiskPoint, values.get("point_id") or -1)
    if point is None:
        return
    values["enterprise_id"] = point.enterprise_id
    values["department_id"] = point.department_id
    jha = point.method == IdentificationMethod.JHA
    values["kind"] = AnalysisKind.JHA_STEP if jha else AnalysisKind.SCL_ITEM
