"""CRUD declarations of the scoring schemes and of the JHA / SCL identification records.

The factor and band tables of a scheme are declared with the rest of the risk module in
``models/risk_tables.py``; the rules that freeze a used scheme are in ``core.scoring_scheme``.
"""

from __future__ import annotations

from core.crud.fields import TEXTAREA, fields
from core.crud.registry import TableSpec, register
from core.rbac import REFERENCE_SCOPE
from core.risk import before_save_analysis_item
from core.scoring_scheme import before_save_scheme, guard_scheme_delete
from models.enums import Module
from models.risk import ScoringScheme
from models.risk_register import RiskAnalysisItem

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
            enterprise_id={"in_form": False, "in_io": False, "filter": True},
            department_id={"in_form": False, "in_io": False, "filter": True},
        ),
        search=("step_or_item", "hazard", "consequence"),
        title_field="step_or_item",
        default_sort=("point_id", False),
        before_save=before_save_analysis_item,
    )
)
