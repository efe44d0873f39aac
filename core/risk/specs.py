"""CRUD declarations of the risk module: the versioned scoring schemes and their reference
lists, the risk register (units, points, JHA / SCL identification records, control measures).

Columns whose names other modules are likely to use with another wording (``content``,
``level``...) get labels under ``field.risk.*`` so catalogues never clash. The rules that
freeze a used scheme are in ``core.risk.schemes``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlmodel import Session, SQLModel

from core.crud.fields import COMPUTED, DERIVED, TEXTAREA, fields, module_fields
from core.crud.registry import Preset, TableSpec, register
from core.crud.service import ValidationFailed
from core.rbac import REFERENCE_SCOPE, Actor
from core.risk.schemes import (
    before_save_scheme,
    guard_row_delete,
    guard_rows,
    guard_scheme_delete,
)
from core.risk.scoring import (
    FACTORS,
    before_save_analysis_item,
    inherit_point_scope,
    score_point,
)
from models.enums import Module, RiskLevel
from models.risk import LecFactor, LsFactor, RiskLevelRule, ScoringMethod, ScoringScheme
from models.risk_register import RiskAnalysisItem, RiskMeasure, RiskPoint, RiskUnit

SCORING_SCHEME = register(
    TableSpec(
        name="scoring_scheme",
        page="pages/risk_scoring_scheme.py",
        nav_group="nav.reference",
        model=ScoringScheme,
        module=Module.RISK,
        fields=fields(
            ScoringScheme,
            "code",
            "method",
            "version",
            "name",
            "active",
            "source",
            "notes",
            label_keys={
                "method": "field.scoring",
                "version": "field.risk_scoring.version",
                "source": "field.risk_scoring.source",
                "notes": "field.risk_scoring.notes",
            },
            method={"filter": True},
            active={"filter": True},
            source={"kind": TEXTAREA, "in_list": False},
            notes={"kind": TEXTAREA, "in_list": False},
        ),
        search=("code", "name"),
        title_field="code",
        default_sort=("code", False),
        scope=REFERENCE_SCOPE,
        before_save=before_save_scheme,
        before_delete=guard_scheme_delete,
        example={"code": "T-{n}"},
    )
)

_OWN = ("kind", "step_or_item", "hazard", "consequence", "standard", "existing_controls")
RISK_ANALYSIS_ITEM = register(
    TableSpec(
        name="risk_analysis_item",
        parent="point_id",
        page="pages/risk_risk_analysis_item.py",
        model=RiskAnalysisItem,
        module=Module.RISK,
        fields=fields(
            RiskAnalysisItem,
            "point_id",
            "seq",
            "kind",
            "step_or_item",
            "hazard",
            "consequence",
            "standard",
            "existing_controls",
            "enterprise_id",
            "department_id",
            label_keys={
                "point_id": "field.risk.point_id",
                "seq": "field.risk.seq",
                **{n: f"field.risk_scoring.{n}" for n in _OWN},
            },
            point_id={"filter": True},
            kind={"in_form": False, "filter": True},
            hazard={"kind": TEXTAREA},
            consequence={"kind": TEXTAREA},
            standard={"kind": TEXTAREA, "in_list": False},
            existing_controls={"kind": TEXTAREA},
            enterprise_id=DERIVED,
            department_id=DERIVED,
        ),
        search=("step_or_item", "hazard", "consequence"),
        title_field="step_or_item",
        default_sort=("point_id", False),
        before_save=before_save_analysis_item,
    )
)

OWN_LABEL = frozenset(
    [
        "area_id",
        "owner_id",
        "unit_id",
        "point_id",
        "accident_type_id",
        "responsible_person_id",
        "content",
        "method",
        "factor",
        "value",
        "meaning",
        "meaning_en",
        "level",
        "colour",
    ]
)


risk_fields = partial(module_fields, prefix="risk", own=OWN_LABEL)


def _reference(
    name: str,
    model: type[SQLModel],
    *cols: str,
    example: dict[str, Any] | None = None,
    **overrides: Any,
) -> TableSpec:
    """A table of a scoring scheme: its rows freeze once points are scored under the scheme
    (``core.risk.schemes``), so the hooks refuse edits, additions and deletions then."""
    return register(
        TableSpec(
            name=name,
            model=model,
            module=Module.RISK,
            page=f"pages/risk_{name}.py",
            nav_group="nav.reference",
            fields=risk_fields(model, "scheme_id", *cols, scheme_id={"filter": True}, **overrides),
            search=("code", *(c for c in ("meaning", "meaning_en") if c in cols)),
            title_field="code",
            default_sort=("code", False),
            scope=REFERENCE_SCOPE,
            before_save=guard_rows(model),
            before_delete=guard_row_delete,
            example={"code": "X{n}", **(example or {})},
        )
    )


LEC_FACTOR = _reference(
    "lec_factor",
    LecFactor,
    "code",
    "factor",
    "value",
    "meaning",
    "meaning_en",
    factor={"filter": True},
)
LS_FACTOR = _reference(
    "ls_factor",
    LsFactor,
    "code",
    "factor",
    "value",
    "meaning",
    "meaning_en",
    factor={"filter": True},
    meaning={"kind": TEXTAREA},
    meaning_en={"kind": TEXTAREA, "in_list": False},
    example={"value": 3},
)
RISK_LEVEL_RULE = _reference(
    "risk_level_rule",
    RiskLevelRule,
    "code",
    "method",
    "level",
    "min_exclusive",
    "max_inclusive",
    "colour",
    method={"filter": True, "label": "field.scoring", "in_form": False},
    level={"filter": True},
)

RISK_UNIT = register(
    TableSpec(
        name="risk_unit",
        page="pages/risk_risk_unit.py",
        model=RiskUnit,
        module=Module.RISK,
        fields=risk_fields(
            RiskUnit,
            "name",
            "code",
            "kind",
            "enterprise_id",
            "department_id",
            "area_id",
            "owner_id",
            "description",
            kind={"filter": True},
            enterprise_id={"filter": True},
            department_id={"filter": True},
            area_id={"filter": True},
            description={"kind": TEXTAREA, "in_list": False},
        ),
        search=("name", "code"),
        default_sort=("name", False),
    )
)

_SCORES = {
    c: {"in_list": False}
    for s in ("inherent", "residual")
    for c in (f"{s}_l", f"{s}_e", f"{s}_c", f"{s}_ls_l", f"{s}_ls_s")
}
#: How a risk list (风险分级管控清单) as enterprises keep it words our columns. Its one
#: L / E / C assessment is the inherent one (``score_listed_point`` carries it over to the
#: residual); its D and level are recomputed, so those columns are read past.
LIST_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("风险点名称", "风险点", "Risk point"),
    "unit_id": ("辨识单元", "风险单元名称", "所属单元"),
    "department_id": ("责任单位", "责任部门", "所属车间", "所属部门"),
    "responsible_person_id": ("管控责任人",),
    "hazard_factors": ("危险源", "风险因素", "危险源或潜在事件", "主要危险有害因素"),
    "other_accident_types": ("可能导致的事故", "可能导致的事故类型", "事故类型"),
    "inherent_l": ("L", "L值"),
    "inherent_e": ("E", "E值"),
    "inherent_c": ("C", "C值"),
    "inherent_d": ("D", "D值", "风险值"),
    "inherent_level": ("风险等级", "风险级别"),
}
#: Columns of such a list that are not a risk point's: its measures go into the measure
#: table, its control tier and category are not kept; listed in the report as skipped.
LIST_IGNORED = (
    "序号",
    "作业活动",
    "风险类别",
    "管控措施",
    "工程技术措施",
    "管理措施",
    "培训教育措施",
    "个体防护措施",
    "应急处置措施",
    "管控层级",
    "备注",
)


def _listed(**options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field options with the risk list's header aliases added."""
    names = options.keys() | LIST_ALIASES.keys()
    return {n: {**options.get(n, {}), "aliases": LIST_ALIASES.get(n, ())} for n in names}


def score_listed_point(session: Session, values: dict[str, Any], actor: Actor) -> None:
    """Score a point; one assessed only once (a risk list's single L / E / C, or a form
    without the residual factors) keeps that risk as its residual one until its controls
    are assessed, instead of being refused for the missing residual factors."""
    factors = FACTORS[ScoringMethod(values.get("scoring") or ScoringMethod.LEC)]
    copied = set()
    if all(values.get(f"residual_{f}") is None for f in factors):
        copied = {f"residual_{f}" for f in factors}
        values.update({f"residual_{f}": values.get(f"inherent_{f}") for f in factors})
    try:
        score_point(session, values, actor)
    except ValidationFailed as exc:  # a bad copied factor is reported once, where it was typed
        raise ValidationFailed([p for p in exc.problems if p.field not in copied]) from None


RISK_POINT = register(
    TableSpec(
        name="risk_point",
        page="pages/risk_risk_point.py",
        model=RiskPoint,
        module=Module.RISK,
        fields=risk_fields(
            RiskPoint,
            "name",
            "code",
            "unit_id",
            "enterprise_id",
            "department_id",
            "area_id",
            "responsible_person_id",
            "method",
            "scoring",
            "scheme_id",
            "hazard_factors",
            "accident_type_id",
            "other_accident_types",
            "inherent_l",
            "inherent_e",
            "inherent_c",
            "inherent_ls_l",
            "inherent_ls_s",
            "inherent_d",
            "inherent_r",
            "inherent_level",
            "residual_l",
            "residual_e",
            "residual_c",
            "residual_ls_l",
            "residual_ls_s",
            "residual_d",
            "residual_r",
            "residual_level",
            "current_level",
            "controls_failing",
            **_listed(
                unit_id={"filter": True},
                enterprise_id={"filter": True},
                department_id={"filter": True},
                area_id={"filter": True, "in_list": False},
                responsible_person_id={"in_list": False},
                method={"filter": True},
                scoring={"filter": True, "in_list": False},
                scheme_id={**COMPUTED, "in_list": False, "filter": True},
                hazard_factors={"kind": TEXTAREA},
                accident_type_id={"filter": True},
                other_accident_types={"in_list": False},
                inherent_d=COMPUTED,
                inherent_r={**COMPUTED, "in_list": False},
                inherent_level={**COMPUTED, "filter": True},
                residual_d=COMPUTED,
                residual_r={**COMPUTED, "in_list": False},
                residual_level={**COMPUTED, "filter": True},
                current_level={**COMPUTED, "filter": True},
                controls_failing={**COMPUTED, "filter": True},
                **_SCORES,
            ),
        ),
        search=("name", "code", "hazard_factors"),
        default_sort=("residual_d", True),
        presets={
            "major": Preset(
                "risk.preset.major", filters=lambda today: {"current_level": [RiskLevel.MAJOR]}
            ),
            "significant": Preset(
                "risk.preset.significant",
                filters=lambda today: {"current_level": [RiskLevel.SIGNIFICANT]},
            ),
        },
        before_save=score_listed_point,
        import_ignore=LIST_IGNORED,
        example={
            "scoring": "lec",
            "inherent_l": 3,
            "inherent_e": 6,
            "inherent_c": 15,
            "residual_l": 1,
            "residual_e": 6,
            "residual_c": 7,
            "inherent_ls_l": None,
            "inherent_ls_s": None,
            "residual_ls_l": None,
            "residual_ls_s": None,
        },
    )
)

RISK_MEASURE = register(
    TableSpec(
        name="risk_measure",
        parent="point_id",
        page="pages/risk_risk_measure.py",
        model=RiskMeasure,
        module=Module.RISK,
        fields=risk_fields(
            RiskMeasure,
            "point_id",
            "measure_class",
            "content",
            "department_id",
            "responsible_person_id",
            "enterprise_id",
            point_id={"filter": True},
            measure_class={"filter": True},
            content={"kind": TEXTAREA},
            department_id={"filter": True},
            enterprise_id=DERIVED,
        ),
        search=("content",),
        title_field="content",
        default_sort=("point_id", False),
        before_save=inherit_point_scope,
    )
)
