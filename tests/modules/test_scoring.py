"""Scoring: the level boundaries of the shipped schemes, and versioned schemes whose used
tables never change.

Boundaries are tested twice: ``level_for`` on the exact band edges (160 and 320 are not
products of admissible LEC values), and real admissible factor combinations through the
risk point's save hook, against the bands loaded into the database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from core import reference
from core.crud import service
from core.crud.registry import get_spec
from core.crud.service import ValidationFailed
from core.rbac import SYSTEM, PermissionDenied
from core.risk.schemes import SchemeInUse, active_scheme, new_version, points_using, rescore
from core.risk.scoring import bands, level_for, shipped_bands
from models.enums import RiskLevel
from models.risk import LecFactor, LsFactor, RiskLevelRule, ScoringMethod, ScoringScheme
from models.system import AuditEntry
from tests.factories import Org, Users, make

LOW, GENERAL, SIGNIFICANT, MAJOR = (
    RiskLevel.LOW,
    RiskLevel.GENERAL,
    RiskLevel.SIGNIFICANT,
    RiskLevel.MAJOR,
)

LEC_EDGES = [
    (70, LOW),
    (70.0001, GENERAL),
    (160, GENERAL),
    (160.0001, SIGNIFICANT),
    (320, SIGNIFICANT),
    (320.0001, MAJOR),
]
LEC_COMBOS = [  # the admissible products nearest each edge, on both sides
    ((10, 1, 7), 70, LOW),
    ((10, 0.5, 15), 75, GENERAL),
    ((10, 1, 15), 150, GENERAL),
    ((10, 6, 3), 180, SIGNIFICANT),
    ((10, 10, 3), 300, SIGNIFICANT),
    ((3, 3, 40), 360, MAJOR),
]
LS_COMBOS = [
    ((2, 4), 8, LOW),
    ((3, 3), 9, GENERAL),
    ((3, 4), 12, GENERAL),
    ((3, 5), 15, SIGNIFICANT),
    ((4, 4), 16, SIGNIFICANT),
    ((4, 5), 20, MAJOR),
    ((5, 5), 25, MAJOR),
]


@pytest.mark.parametrize(("score", "level"), LEC_EDGES)
def test_lec_band_edges(score: float, level: RiskLevel) -> None:
    assert level_for("lec", score, shipped_bands()) == level


@pytest.mark.parametrize(("lrs", "score", "level"), LS_COMBOS)
def test_ls_band_edges(lrs: tuple[int, int], score: int, level: RiskLevel) -> None:
    assert level_for("ls", score, shipped_bands()) == level


@pytest.fixture
def loaded(session: Session) -> Session:
    """The session with the shipped reference data (schemes LEC-1 and LS-1) loaded."""
    reference.load_all(session)
    return session


def _unit(session: Session, org: Org) -> int:
    return make(session, "risk_unit", name="试验单元", enterprise_id=org.ent1).id


def _lec(unit: int, residual: tuple[float, ...], **extra: Any) -> dict[str, Any]:
    l, e, c = residual  # noqa: E741
    return {
        "name": "试验风险点",
        "unit_id": unit,
        "scoring": "lec",
        **{"inherent_l": 10, "inherent_e": 6, "inherent_c": 15},
        **{"residual_l": l, "residual_e": e, "residual_c": c},
        **extra,
    }


def _point(session: Session, org: Org, residual: tuple[float, ...], **extra: Any) -> Any:
    return make(session, "risk_point", **_lec(_unit(session, org), residual, **extra))


def _scheme(session: Session, code: str) -> ScoringScheme:
    return session.exec(select(ScoringScheme).where(ScoringScheme.code == code)).one()


def _row(session: Session, model: Any, scheme: ScoringScheme, code: str) -> Any:
    stmt = select(model).where(model.scheme_id == scheme.id, model.code == code)
    return session.exec(stmt).one()


@pytest.mark.parametrize(("factors", "score", "level"), LEC_COMBOS)
def test_lec_combinations_near_the_edges(
    loaded: Session, org: Org, factors: tuple[float, ...], score: float, level: RiskLevel
) -> None:
    point = _point(loaded, org, factors)
    assert (point.residual_d, point.residual_level, point.current_level) == (score, level, level)
    assert point.scheme_id == _scheme(loaded, "LEC-1").id
    assert point.inherent_level == MAJOR  # 10 × 6 × 15 = 900: both levels are kept


@pytest.mark.parametrize(("factors", "score", "level"), LS_COMBOS)
def test_ls_matrix_through_the_save_hook(
    loaded: Session, org: Org, factors: tuple[int, int], score: int, level: RiskLevel
) -> None:
    raw = {
        "name": "矩阵点",
        "unit_id": _unit(loaded, org),
        "scoring": "ls",
        **{"inherent_ls_l": 5, "inherent_ls_s": 5},
        **{"residual_ls_l": factors[0], "residual_ls_s": factors[1]},
    }
    point = make(loaded, "risk_point", **raw)
    assert (point.residual_r, point.residual_level) == (score, level)
    assert point.scheme_id == _scheme(loaded, "LS-1").id
    assert point.residual_d is None and point.residual_l is None


def test_shipped_schemes_are_loaded_and_linked(loaded: Session) -> None:
    lec, ls = _scheme(loaded, "LEC-1"), _scheme(loaded, "LS-1")
    assert (lec.method, lec.version, lec.active) == (ScoringMethod.LEC, 1, True)
    assert active_scheme(loaded, "lec").id == lec.id and active_scheme(loaded, "ls").id == ls.id

    def count(model: Any, scheme: ScoringScheme) -> int:
        stmt = select(func.count()).select_from(model).where(model.scheme_id == scheme.id)
        return loaded.exec(stmt).one()

    assert (count(LecFactor, lec), count(LsFactor, ls)) == (19, 10)
    assert (count(RiskLevelRule, lec), count(RiskLevelRule, ls)) == (4, 4)
    assert sorted(bands(loaded, lec.id), key=str) == sorted(
        (b for b in shipped_bands() if b.method == "lec"), key=str
    )


def test_a_used_scheme_refuses_edits_additions_and_deletions(loaded: Session, org: Org) -> None:
    lec = _scheme(loaded, "LEC-1")
    _point(loaded, org, (3, 6, 7))
    l10 = _row(loaded, LecFactor, lec, "L10")
    with pytest.raises(ValidationFailed) as exc:
        service.update_row(loaded, get_spec("lec_factor"), SYSTEM, l10.id, {"value": 9})
    (problem,) = exc.value.problems
    assert problem.key == "error.scheme_in_use" and problem.field == "value"
    assert "LEC-1" in problem.message("zh-CN") and "新版本" in problem.message("zh-CN")
    assert "used by 1 risk points" in problem.message("en")
    band = _row(loaded, RiskLevelRule, lec, "LEC-major")
    with pytest.raises(ValidationFailed):
        service.update_row(
            loaded, get_spec("risk_level_rule"), SYSTEM, band.id, {"min_exclusive": 400}
        )
    with pytest.raises(ValidationFailed):
        make(loaded, "lec_factor", scheme_id=lec.id, code="L8", factor="L", value=8, meaning="x")
    with pytest.raises(SchemeInUse) as gone:
        service.soft_delete(loaded, get_spec("lec_factor"), SYSTEM, l10.id)
    assert "LEC-1" in gone.value.message("en")
    with pytest.raises(SchemeInUse):
        service.soft_delete(loaded, get_spec("scoring_scheme"), SYSTEM, lec.id)
    with pytest.raises(ValidationFailed):
        service.update_row(loaded, get_spec("scoring_scheme"), SYSTEM, lec.id, {"code": "LEC-X"})
    loaded.refresh(l10)
    assert l10.value == 10 and l10.deleted_at is None
    # descriptions change no score, so they stay editable
    service.update_row(loaded, get_spec("lec_factor"), SYSTEM, l10.id, {"meaning_en": "Certain"})
    service.update_row(loaded, get_spec("risk_level_rule"), SYSTEM, band.id, {"colour": "#c00000"})


def test_an_unused_scheme_can_still_be_edited(loaded: Session) -> None:
    ls = _scheme(loaded, "LS-1")
    band = _row(loaded, RiskLevelRule, ls, "LS-general")
    service.update_row(loaded, get_spec("risk_level_rule"), SYSTEM, band.id, {"max_inclusive": 13})
    assert points_using(loaded, ls.id) == 0


def test_new_version_copies_rows_and_becomes_active(loaded: Session, org: Org) -> None:
    lec = _scheme(loaded, "LEC-1")
    old_point = _point(loaded, org, (3, 3, 7))  # D = 63: low under LEC-1
    assert (old_point.residual_level, old_point.scheme_id) == (LOW, lec.id)
    new = new_version(loaded, SYSTEM, lec.id)
    assert (new.code, new.method, new.version, new.active) == ("LEC-2", "lec", 2, True)
    loaded.refresh(lec)
    assert lec.active is False
    assert active_scheme(loaded, "lec").id == new.id
    assert active_scheme(loaded, "ls").code == "LS-1"  # other methods are untouched
    for model, n in ((LecFactor, 19), (RiskLevelRule, 4)):
        stmt = select(func.count()).select_from(model).where(model.scheme_id == new.id)
        assert loaded.exec(stmt).one() == n
    assert (
        _row(loaded, LecFactor, new, "C15").meaning == _row(loaded, LecFactor, lec, "C15").meaning
    )
    audit = loaded.exec(select(AuditEntry).where(AuditEntry.action == "scheme_new_version")).one()
    assert audit.detail == {"from": "LEC-1", "to": "LEC-2", "rows": 23}

    # the new version is free to change until it scores a point: stricter general band
    spec = get_spec("risk_level_rule")
    for code, change in (
        ("LEC-low", {"max_inclusive": 50}),
        ("LEC-general", {"min_exclusive": 50}),
    ):
        service.update_row(loaded, spec, SYSTEM, _row(loaded, RiskLevelRule, new, code).id, change)

    renamed = service.update_row(
        loaded, get_spec("risk_point"), SYSTEM, old_point.id, {"name": "改名不改级"}
    )
    assert (renamed.scheme_id, renamed.residual_level) == (lec.id, LOW)  # old points keep theirs
    moved = rescore(loaded, SYSTEM, old_point.id)
    assert (moved.scheme_id, moved.residual_d, moved.residual_level) == (new.id, 63, GENERAL)
    fresh = _point(loaded, org, (3, 3, 7))
    assert (fresh.scheme_id, fresh.residual_level) == (new.id, GENERAL)
    with pytest.raises(ValidationFailed):  # now LEC-2 is used too
        service.update_row(
            loaded,
            spec,
            SYSTEM,
            _row(loaded, RiskLevelRule, new, "LEC-low").id,
            {"max_inclusive": 60},
        )
    assert new_version(loaded, SYSTEM, new.id).code == "LEC-3"


def test_changing_factors_moves_a_point_to_the_active_scheme(loaded: Session, org: Org) -> None:
    lec = _scheme(loaded, "LEC-1")
    point = _point(loaded, org, (3, 6, 7))
    new = new_version(loaded, SYSTEM, lec.id)
    changed = service.update_row(
        loaded, get_spec("risk_point"), SYSTEM, point.id, {"residual_l": 1}
    )
    assert (changed.scheme_id, changed.residual_d) == (new.id, 42)


def test_an_unfinished_scheme_does_not_capture_scoring(loaded: Session, org: Org) -> None:
    make(loaded, "scoring_scheme", code="LEC-9", method="lec", version=9, name="草稿", active=True)
    assert active_scheme(loaded, "lec").code == "LEC-1"
    assert _point(loaded, org, (3, 6, 7)).scheme_id == _scheme(loaded, "LEC-1").id


def test_schemes_are_configuration(loaded: Session, users: Users) -> None:
    """Who records risk points (an inspector may) does not thereby change how they grade."""
    lec = _scheme(loaded, "LEC-1")
    l10 = _row(loaded, LecFactor, lec, "L10")
    with pytest.raises(PermissionDenied):
        new_version(loaded, users.inspector_a, lec.id)
    with pytest.raises(PermissionDenied):
        service.update_row(loaded, get_spec("lec_factor"), users.inspector_a, l10.id, {"value": 9})
    assert new_version(loaded, users.safety_head, lec.id).code == "LEC-2"


def test_loader_resolves_lookups_and_stays_idempotent(
    loaded: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_version(loaded, SYSTEM, _scheme(loaded, "LEC-1").id)  # same codes, another scheme
    assert reference.load_all(loaded) == {}
    extra = tmp_path / "ref"
    (extra / "risk").mkdir(parents=True)
    for name in ("scoring_scheme.json", "lec_l.json"):
        doc = reference.read(reference.REFERENCE_DIR / "risk" / name)
        if name == "lec_l.json":
            doc["rows"].append({**doc["rows"][0], "code": "L8", "value": 8.0})
        (extra / "risk" / name).write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    monkeypatch.setattr(reference, "REFERENCE_DIR", extra)
    assert reference.load_all(loaded) == {"lec_factor": 1}
    added = loaded.exec(select(LecFactor).where(LecFactor.code == "L8")).one()
    assert added.scheme_id == _scheme(loaded, "LEC-1").id

    doc = reference.read(extra / "risk" / "lec_l.json")
    doc["rows"][0]["scheme_id"] = "NO-SUCH"
    doc["rows"][0]["code"] = "L11"
    (extra / "risk" / "lec_l.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    with pytest.raises(ValueError, match="NO-SUCH"):
        reference.load_all(loaded)
