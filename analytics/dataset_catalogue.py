"""The datasets an analyst charts without SQL: each business table as the chart builder sees
it — its time column, the dimensions it splits by (the trend dashboards' keys and labels) and
its numeric fields, rates as 0/100 fields (closure rate = average of "closed (%)")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.dimensions import AREA, DEPARTMENT, Split
from analytics.trends import HAZARD_SPLITS
from core.crud.registry import get_spec
from models.contractor import ContractorViolationState
from models.emergency_drill import DrillForm, DrillLevel, DrillState
from models.hazard import HazardSource, HazardState
from models.incident import IncidentKind, IncidentState
from models.permit import PermitState
from models.risk_inspection import InspectionResult, InspectionTaskState
from models.training import TrainingResult
from models.video import RuleKind, ViolationState

AGGREGATES = ("sum", "avg", "max", "min")
#: Time dimensions every dataset has: the period (by the chart's grain), and for timestamps
#: the local weekday and hour.
PERIOD, WEEKDAY, HOUR = "period", "weekday", "hour"


@dataclass(frozen=True)
class Number:
    """A numeric field: SQL over the row ``r`` (NULL where it does not apply). A rate is a
    0/100 field only averaged."""

    sql: str
    rate: bool = False

    @property
    def aggregates(self) -> tuple[str, ...]:
        return ("avg",) if self.rate else AGGREGATES


@dataclass(frozen=True)
class Dataset:
    key: str
    table: str
    time: str
    local_date: bool = False  # ``time`` is a DATE in the site's calendar
    dimensions: dict[str, Split] = field(default_factory=dict)
    numbers: dict[str, Number] = field(default_factory=dict)
    where: str = "TRUE"  # rows that belong to the dataset at all

    @property
    def module(self) -> str:
        return str(get_spec(self.table).module)

    @property
    def time_dimensions(self) -> tuple[str, ...]:
        return (PERIOD,) if self.local_date else (PERIOD, WEEKDAY, HOUR)

    @property
    def all_dimensions(self) -> tuple[str, ...]:
        return (*self.time_dimensions, *self.dimensions)

    @property
    def measures(self) -> tuple[str, ...]:
        """``count`` and ``aggregate:number`` for every numeric field."""
        numbers = (f"{a}:{k}" for k, n in self.numbers.items() for a in n.aggregates)
        return ("count", *numbers)


def _state(enum: Any) -> Split:
    return Split("r.state", enum=enum)


def _percent(condition: str) -> Number:
    return Number(f"CASE WHEN {condition} THEN 100.0 ELSE 0.0 END", rate=True)


def _days(start: str, end: str) -> str:
    return f"date_diff('minute', CAST(r.{start} AS TIMESTAMP), CAST(r.{end} AS TIMESTAMP)) / 1440.0"


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset(
            "hazards",
            "hazard",
            "found_at",
            dimensions={
                **HAZARD_SPLITS,
                "state": _state(HazardState),
                "source": Split("r.source", enum=HazardSource),
            },
            numbers={
                "cost": Number("r.cost"),
                "rectify_days": Number(
                    f"CASE WHEN r.state = '{HazardState.CLOSED.name}' "
                    f"THEN {_days('found_at', 'closed_at')} END"
                ),
                "closed_pct": _percent(f"r.state = '{HazardState.CLOSED.name}'"),
            },
        ),
        Dataset(
            "incidents",
            "incident",
            "occurred_at",
            dimensions={
                "department": DEPARTMENT,
                "area": AREA,
                "accident_type": Split("r.accident_type_id", "accident_type"),
                "kind": Split("r.kind", enum=IncidentKind),
                "grade": Split("r.grade_id", "accident_grade"),
                "state": _state(IncidentState),
            },
            numbers={
                "deaths": Number("r.deaths"),
                "serious_injuries": Number("r.serious_injuries"),
                "minor_injuries": Number("r.minor_injuries"),
                "direct_loss": Number("r.direct_loss"),
            },
        ),
        Dataset(
            "permits",
            "permit",
            "planned_start",
            dimensions={
                "department": DEPARTMENT,
                "area": AREA,
                "permit_type": Split("r.permit_type_id", "permit_type"),
                "permit_grade": Split("r.grade_id", "permit_grade"),
                "state": _state(PermitState),
            },
            numbers={"planned_hours": Number(f"{_days('planned_start', 'planned_end')} * 24")},
            where=f"r.state <> '{PermitState.DRAFT.name}'",
        ),
        Dataset(
            "inspections",
            "inspection_task",
            "due_date",
            local_date=True,
            dimensions={
                "department": DEPARTMENT,
                "state": _state(InspectionTaskState),
                "result": Split("r.result", enum=InspectionResult),
            },
            numbers={
                "issues_found": Number("r.issues_found"),
                "done_pct": _percent(f"r.state = '{InspectionTaskState.DONE.name}'"),
            },
        ),
        Dataset(
            "violations",
            "video_violation",
            "occurred_at",
            dimensions={
                "department": DEPARTMENT,
                "area": Split(
                    "cam.area_id", "area", join="LEFT JOIN camera cam ON cam.id = r.camera_id"
                ),
                "camera": Split("r.camera_id", "camera"),
                "rule_kind": Split("r.rule_kind", enum=RuleKind),
                "state": _state(ViolationState),
            },
            numbers={
                "confidence": Number("r.confidence * 100"),
                "confirmed_pct": _percent(f"r.state = '{ViolationState.CONFIRMED.name}'"),
            },
        ),
        Dataset(
            "training",
            "training_record",
            "trained_on",
            local_date=True,
            dimensions={
                "department": DEPARTMENT,
                "course": Split("r.course_id", "training_course"),
                "result": Split("r.result", enum=TrainingResult),
            },
            numbers={
                "hours": Number("r.hours"),
                "score": Number("r.score"),
                "passed_pct": _percent(f"r.result = '{TrainingResult.PASSED.name}'"),
            },
        ),
        Dataset(
            "contractor_violations",
            "contractor_violation",
            "occurred_on",
            local_date=True,
            dimensions={
                "department": DEPARTMENT,
                "contractor": Split("r.contractor_id", "contractor"),
                "state": _state(ContractorViolationState),
            },
            numbers={"points": Number("r.points"), "fine": Number("r.fine")},
        ),
        Dataset(
            "drills",
            "drill",
            "planned_on",
            local_date=True,
            dimensions={
                "department": DEPARTMENT,
                "level": Split("r.level", enum=DrillLevel),
                "form": Split("r.form", enum=DrillForm),
                "state": _state(DrillState),
            },
            numbers={"participants": Number("r.participants")},
        ),
    )
}
