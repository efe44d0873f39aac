"""Versioned scoring schemes: which tables score a point, and why used tables never change.

A stored score must stay explainable by the tables that produced it, so the factor values and
bands of a scheme that any risk point was scored under are frozen: edits of what a score
depends on, additions, deletions and restores are refused with a message that says how many
points use it and to create a new version. ``new_version`` copies a scheme (version + 1) and
makes the copy the active one of its method; points keep their old scheme until re-scored.
Descriptions (a factor's meaning, a band's colour) stay editable: they change no score.
A band takes its scheme's method on save. A factor row filed under a scheme of the other
method is never read (a point reads the table of its own method), so it cannot skew a score.

The checks are table hooks (``before_save`` / ``before_delete``), so forms, Excel imports and
the CLI all meet them. Schemes are configuration: changing them takes the risk module's
``configure`` permission, not just the ``edit`` that recording risk points needs.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from core import audit
from core.crud import service
from core.crud.registry import BeforeSave, get_spec
from core.crud.service import ValidationFailed
from core.crud.validate import Problem
from core.i18n import Translatable
from core.rbac import Actor
from models.enums import Action, Module
from models.risk import LecFactor, LsFactor, RiskLevelRule, ScoringMethod, ScoringScheme
from models.risk_register import RiskPoint

#: What a score depends on, per table; the other columns are descriptions.
FROZEN: dict[type[SQLModel], tuple[str, ...]] = {
    LecFactor: ("scheme_id", "code", "factor", "value"),
    LsFactor: ("scheme_id", "code", "factor", "value"),
    RiskLevelRule: ("scheme_id", "code", "method", "level", "min_exclusive", "max_inclusive"),
    ScoringScheme: ("code", "method", "version"),
}
#: Tables copied by ``new_version``, with their CRUD names.
SCHEME_TABLES: tuple[tuple[type[SQLModel], str], ...] = (
    (LecFactor, "lec_factor"),
    (LsFactor, "ls_factor"),
    (RiskLevelRule, "risk_level_rule"),
)
_COPIED = {
    LecFactor: ("code", "factor", "value", "meaning", "meaning_en"),
    LsFactor: ("code", "factor", "value", "meaning", "meaning_en"),
    RiskLevelRule: ("code", "level", "min_exclusive", "max_inclusive", "colour"),
}


class SchemeInUse(Translatable):
    """A scheme's tables are asked to change while risk points are scored under them."""

    def __init__(self, scheme: str, count: int) -> None:
        super().__init__("error.scheme_in_use", scheme=scheme, count=count)


def active_scheme(session: Session, method: ScoringMethod | str) -> ScoringScheme | None:
    """The scheme new scores use: the highest active version (or, with none marked active,
    the highest version) among those that have factor values and level bands, or None when
    the method has no such scheme (then the shipped tables score).

    A scheme still being filled in (created empty in the form) must not capture scoring.
    """
    factor = LecFactor if str(method) == ScoringMethod.LEC else LsFactor
    has_factors = select(factor.id).where(
        factor.scheme_id == ScoringScheme.id, col(factor.deleted_at).is_(None)
    )
    has_bands = select(RiskLevelRule.id).where(
        RiskLevelRule.scheme_id == ScoringScheme.id, col(RiskLevelRule.deleted_at).is_(None)
    )
    return session.exec(
        select(ScoringScheme)
        .where(
            ScoringScheme.method == method,
            col(ScoringScheme.deleted_at).is_(None),
            has_factors.exists(),
            has_bands.exists(),
        )
        .order_by(col(ScoringScheme.active).desc(), col(ScoringScheme.version).desc())
    ).first()


def points_using(session: Session, scheme_id: int | None) -> int:
    """Risk points scored under the scheme, deleted ones included: a restored point still
    carries the scores the scheme produced."""

    if scheme_id is None:
        return 0
    stmt = select(func.count()).select_from(RiskPoint).where(RiskPoint.scheme_id == scheme_id)
    return int(session.exec(stmt).one())


def _refuse_if_used(session: Session, scheme_id: int | None, field: str | None = None) -> None:
    count = points_using(session, scheme_id)
    if not count:
        return
    scheme = session.get(ScoringScheme, scheme_id)
    code = scheme.code if scheme else str(scheme_id)
    if field is None:
        raise SchemeInUse(code, count)
    params = {"scheme": code, "count": count}
    raise ValidationFailed([Problem(field, "error.scheme_in_use", params)])


def _changed(model: type[SQLModel], values: dict[str, Any], current: Any) -> list[str]:
    return [c for c in FROZEN[model] if c in values and values[c] != getattr(current, c)]


def guard_rows(model: type[SQLModel]) -> BeforeSave:
    """Before-save hook of a factor or band table: no new row in, and no change of what
    scores depend on in, a scheme that points use (the row's old and new scheme)."""

    def before_save(session: Session, values: dict[str, Any], actor: Actor) -> None:
        actor.require(Module.RISK, Action.CONFIGURE)
        scheme = session.get(ScoringScheme, values.get("scheme_id") or -1)
        if model is RiskLevelRule and scheme is not None:
            values["method"] = scheme.method  # a band has the method of its scheme
        current = session.get(model, values["id"]) if values.get("id") else None
        if current is None:
            _refuse_if_used(session, values.get("scheme_id"), "scheme_id")
            return
        changed = _changed(model, values, current)
        if changed:
            for scheme_id in (current.scheme_id, values.get("scheme_id")):
                _refuse_if_used(session, scheme_id, changed[0])

    return before_save


def guard_row_delete(session: Session, row: Any, actor: Actor, deleting: bool) -> None:
    """Deleting or restoring a factor or band changes its scheme's table."""
    actor.require(Module.RISK, Action.CONFIGURE)
    _refuse_if_used(session, row.scheme_id)


def before_save_scheme(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """A used scheme keeps its code, method and version; name, notes and active may change."""
    actor.require(Module.RISK, Action.CONFIGURE)
    current = session.get(ScoringScheme, values["id"]) if values.get("id") else None
    if current is not None and (changed := _changed(ScoringScheme, values, current)):
        _refuse_if_used(session, current.id, changed[0])


def guard_scheme_delete(session: Session, row: Any, actor: Actor, deleting: bool) -> None:
    """A scheme that scores points cannot go (restoring one is harmless)."""
    actor.require(Module.RISK, Action.CONFIGURE)
    if deleting:
        _refuse_if_used(session, row.id)


def _next_code(session: Session, old: ScoringScheme, version: int) -> str:
    """``LEC-1`` → ``LEC-2``; a code without a version suffix gets one."""
    match = re.fullmatch(r"(.+)-\d+", old.code)
    base = (match.group(1) if match else old.code)[:24]
    code, k = f"{base}-{version}", 1
    while session.exec(select(ScoringScheme.id).where(ScoringScheme.code == code)).first():
        k += 1
        code = f"{base}-{version}.{k}"
    return code


def new_version(session: Session, actor: Actor, scheme_id: int) -> ScoringScheme:
    """Copy a scheme and its live rows as the next version of its method and make the copy
    the active scheme (older versions of the method are deactivated, not deleted)."""

    actor.require(Module.RISK, Action.CONFIGURE)
    spec = get_spec("scoring_scheme")
    old = service.get_row(session, spec, actor, scheme_id, include_deleted=False)
    top = session.exec(
        select(func.max(ScoringScheme.version)).where(ScoringScheme.method == old.method)
    ).one()
    version = int(top or 0) + 1
    fields = {"method": old.method, "name": old.name, "source": old.source, "notes": old.notes}
    new = service.create_row(
        session,
        spec,
        actor,
        {**fields, "code": _next_code(session, old, version), "version": version, "active": True},
    )
    copied = 0
    for model, table in SCHEME_TABLES:
        rows = session.exec(
            select(model)
            .where(model.scheme_id == old.id, col(model.deleted_at).is_(None))  # type: ignore[attr-defined]
            .order_by(col(model.id))  # type: ignore[attr-defined]
        ).all()
        for row in rows:
            raw = {c: getattr(row, c) for c in _COPIED[model]}
            service.create_row(session, get_spec(table), actor, {**raw, "scheme_id": new.id})
            copied += 1
    others = session.exec(
        select(ScoringScheme.id).where(
            ScoringScheme.method == old.method,
            col(ScoringScheme.active).is_(True),
            col(ScoringScheme.deleted_at).is_(None),
            ScoringScheme.id != new.id,
        )
    ).all()
    for other in others:
        service.update_row(session, spec, actor, other, {"active": False})
    audit.record(
        session,
        actor,
        "scheme_new_version",
        table_name=spec.name,
        row_id=new.id,
        detail={"from": old.code, "to": new.code, "rows": copied},
    )
    return new


def rescore(session: Session, actor: Actor, point_id: int) -> Any:
    """Score a point again under its method's active scheme (same factors, new tables)."""

    return service.update_row(session, get_spec("risk_point"), actor, point_id, {"scheme_id": None})
