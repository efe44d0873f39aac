"""Demo hazards: three years of reports with seasons, Pareto categories and a realistic backlog.

Rows are built as plain dicts from lists prepared once (areas, people, users, categories, risk
points), so scale L (about a million hazards) needs no per-row query.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import col, select

from core.demogen import DemoContext
from core.demogen.hazard_history import hazard_events
from core.demogen.hazard_texts import EQUIPMENT, PLACES, TEXTS
from core.hazard.rules import default_deadline, format_number, sla_days
from models.enums import Role
from models.hazard import Hazard, HazardCategory, HazardLevel, HazardSource, HazardState
from models.reference import AccidentType
from models.risk_inspection import InspectionResult, InspectionTask
from models.risk_register import RiskPoint
from models.workflow import WorkflowEvent

PER_SCALE = 10_200  # hazards at scale S over three years (≈ 3,400 a year), times ctx.factor
MAIN_SHARE = 0.7
MAJOR_SHARE = 0.02
REPEAT_SHARE = 0.05
HISTORY = timedelta(days=365)
#: Top-level category code → share; the first three make ≈ 70 % (Pareto).
CATEGORY_SHARE = {
    "01": 0.30, "02": 0.22, "03": 0.18, "05": 0.08, "06": 0.07,
    "04": 0.05, "07": 0.04, "08": 0.03, "09": 0.02, "10": 0.01,
}  # fmt: skip
#: Every row carries every column, as one multi-row INSERT needs.
EMPTY: dict[str, Any] = dict.fromkeys(
    (
        "rectified_at",
        "rectifier_id",
        "verified_at",
        "closed_at",
        "cost",
        "repeat_of_id",
        "inspection_task_id",
    )
)
SOURCE_SHARE = {
    HazardSource.INSPECTION: 0.55,
    HazardSource.QUICK_REPORT: 0.25,
    HazardSource.DETECTOR: 0.10,
    HazardSource.SPECIAL_CHECK: 0.07,
    HazardSource.SUPERIOR_CHECK: 0.03,
}


@dataclass(frozen=True)
class Site:
    """Where a hazard can be found: an area with its department, people and risk points."""

    enterprise_id: int
    area_id: int | None
    department_id: int | None
    owners: tuple[int, ...]
    risk_points: tuple[int, ...]


def _season(day: date) -> float:
    """More checks (and findings) in summer heat and rain, before holidays and at year-end."""
    weight = 0.45 if day.weekday() >= 5 else 1.0
    if day.month in (6, 7, 8):
        weight *= 1.5
    elif (day.month == 9 and day.day >= 20) or day.month == 12 or (day.month, day.day) < (2, 10):
        weight *= 1.35
    return weight


def _sites(ctx: DemoContext, enterprise_id: int) -> list[Site]:
    people: dict[int | None, list[int]] = defaultdict(list)
    for p in ctx.people_of(enterprise_id):
        people[p.department_id].append(p.id)
    everyone = tuple(i for ids in people.values() for i in ids)
    points: dict[int, list[int]] = defaultdict(list)
    rows = ctx.session.exec(
        select(RiskPoint.id, RiskPoint.area_id).where(
            RiskPoint.enterprise_id == enterprise_id, col(RiskPoint.deleted_at).is_(None)
        )
    )
    for point_id, area_id in rows:
        if area_id is not None:
            points[area_id].append(point_id)
    depts = [d.id for d in ctx.departments_of(enterprise_id)]
    sites = []
    for i, area in enumerate(ctx.areas_of(enterprise_id)):
        dept = area.department_id or (depts[i % len(depts)] if depts else None)
        owners = tuple(people.get(dept) or everyone)
        sites.append(Site(enterprise_id, area.id, dept, owners, tuple(points[area.id])))
    return sites or [Site(enterprise_id, None, depts[0] if depts else None, everyone, ())]


def _categories(ctx: DemoContext) -> tuple[list[tuple[int, str]], list[float]]:
    """Leaf categories with weights: the top-level share split Pareto-wise over children."""
    rows = ctx.session.exec(
        select(HazardCategory.id, HazardCategory.code, HazardCategory.parent_code)
        .where(col(HazardCategory.deleted_at).is_(None))
        .order_by(HazardCategory.code)
    ).all()
    children: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cid, code, parent in rows:
        if parent:
            children[parent].append((cid, code))
    leaves, weights = [], []
    for cid, code, parent in rows:
        if parent:
            continue
        kids = children.get(code) or [(cid, code)]
        share = CATEGORY_SHARE.get(code, 0.01)
        norm = sum(1 / (k + 1) for k in range(len(kids)))
        for k, kid in enumerate(kids):
            leaves.append(kid)
            weights.append(share / (k + 1) / norm)
    return leaves, weights


def _users(ctx: DemoContext, enterprise_id: int) -> tuple[list[int], list[int]]:
    """(reporters, verifiers) of an enterprise; verifiers are its safety staff."""
    mine = [u for u in ctx.users if u.enterprise_id == enterprise_id] or ctx.users
    safety = {Role.SAFETY_MANAGER, Role.SAFETY_HEAD, Role.INSPECTOR}
    verifiers = [u.id for u in mine if safety & set(u.roles or ())] or [mine[0].id]
    return [u.id for u in mine], verifiers


def _lifecycle(
    rng: random.Random, found: datetime, deadline: date, level: HazardLevel, now: datetime
) -> dict[str, Any]:
    """State and timestamps consistent with each other and with today."""
    roll = rng.random()
    if roll < 0.04:  # rejected (not a hazard) or voided (duplicate report)
        state = HazardState.REJECTED if roll < 0.03 else HazardState.VOIDED
        ended = found + timedelta(hours=rng.randint(2, 72))
        if ended <= now:
            return {"state": state, "closed_at": ended}
        return {"state": HazardState.REPORTED}
    major = level == HazardLevel.MAJOR
    if rng.random() < 0.18:  # slow ones: waiting for parts, budget or a shutdown
        days = rng.uniform(10, 240)
    else:
        days = rng.uniform(5, 45) if major else rng.expovariate(1 / 2.5)
    rectified = found + timedelta(days=days, hours=rng.randint(1, 8))
    verified = rectified + timedelta(hours=rng.randint(2, 48))
    closed = verified + timedelta(hours=rng.randint(0, 24))
    cost = round(rng.uniform(20_000, 500_000) if major else rng.choice((0, 50, 200, 800, 2500)), 2)
    done = {"rectified_at": rectified, "cost": cost or None}
    if closed <= now:
        return {**done, "state": HazardState.CLOSED, "verified_at": verified, "closed_at": closed}
    if rectified <= now:
        return {**done, "state": HazardState.VERIFYING}
    age = now - found
    if age < timedelta(hours=8):
        return {"state": HazardState.REPORTED}
    if age < timedelta(days=1):
        return {"state": HazardState.CONFIRMED}
    late = deadline < now.date()
    if late and rng.random() < 0.3:
        return {"state": HazardState.EXTENSION_REQUESTED}
    if age > timedelta(days=3) and rng.random() < 0.15:  # failed verification, back to work
        return {"state": HazardState.RECTIFYING}
    return {"state": HazardState.CONFIRMED}


def _tasks(ctx: DemoContext, enterprise_id: int) -> tuple[list[date], list[int]]:
    """Inspection tasks of an enterprise that found issues, by due date (for linking)."""
    rows = ctx.session.exec(
        select(InspectionTask.due_date, InspectionTask.id)
        .where(
            InspectionTask.enterprise_id == enterprise_id,
            InspectionTask.result == InspectionResult.ISSUES,
            col(InspectionTask.deleted_at).is_(None),
        )
        .order_by(InspectionTask.due_date, InspectionTask.id)
    ).all()
    return [r[0] for r in rows], [r[1] for r in rows]


def _task_for(tasks: tuple[list[date], list[int]], day: date) -> int | None:
    """The latest issue-finding task due within a week before ``day``, if any."""
    dates, ids = tasks
    i = bisect.bisect_right(dates, day) - 1
    return ids[i] if i >= 0 and (day - dates[i]).days <= 7 else None


def _enterprise_counts(ctx: DemoContext, total: int) -> list[tuple[int, int]]:
    others = [e.id for e in ctx.enterprises if e.id != ctx.main.id]
    main = total if not others else round(total * MAIN_SHARE)
    rest = total - main
    counts = [(ctx.main.id, main)]
    for i, eid in enumerate(others):
        counts.append((eid, rest // len(others) + (1 if i < rest % len(others) else 0)))
    return counts


def generate(ctx: DemoContext) -> dict[str, int]:
    rng = ctx.rng
    days = ctx.days_back(3)
    cum: list[float] = []
    acc = 0.0
    for day in days:
        acc += _season(day)
        cum.append(acc)
    leaves, leaf_weights = _categories(ctx)
    accident = dict(ctx.session.exec(select(AccidentType.code, AccidentType.id)).all())
    sla = {lv: sla_days(ctx.session, lv) for lv in HazardLevel}
    now = datetime.combine(ctx.today, time(18, 0), tzinfo=UTC)
    sources, source_w = list(SOURCE_SHARE), list(SOURCE_SHARE.values())
    rows: list[dict[str, Any]] = []
    for enterprise_id, n in _enterprise_counts(ctx, PER_SCALE * ctx.factor):
        sites = _sites(ctx, enterprise_id)
        reporters, verifiers = _users(ctx, enterprise_id)
        tasks = _tasks(ctx, enterprise_id)
        picked = sorted(rng.choices(days, cum_weights=cum, k=n))
        cats = rng.choices(leaves, weights=leaf_weights, k=n) if leaves else [None] * n
        recent: list[int] = []  # indexes into rows of closed originals, for repeats
        for day, cat in zip(picked, cats, strict=True):
            found = ctx.moment(day, rng)
            source = rng.choices(sources, source_w)[0]
            repeat = None
            if recent and rng.random() < REPEAT_SHARE:
                repeat = recent[rng.randrange(max(0, len(recent) - 200), len(recent))]
            row = _row(ctx, rng, found, cat, source, sites, reporters, verifiers, rows, repeat)
            level = row["level"]
            row["deadline"] = default_deadline(found, sla[level])
            code = TEXTS.get(cat[1] if cat else "10", TEXTS["10"])[1]
            row["accident_type_id"] = accident.get(code)
            if source == HazardSource.INSPECTION:
                row["inspection_task_id"] = _task_for(tasks, day)
            row.update(_lifecycle(rng, found, row["deadline"], level, now))
            if row["rectified_at"] is not None:  # four eyes: the verifier did not rectify it
                others = [u for u in reporters if u != row["verifier_id"]] or reporters
                row["rectifier_id"] = rng.choice(others)
            if repeat is None and row["state"] == HazardState.CLOSED:
                recent.append(len(rows))
            rows.append(row)
    _number(rows)
    originals = [r for r in rows if "_repeat" not in r]
    ids = ctx.bulk(Hazard, originals)
    id_of = {id(r): i for r, i in zip(originals, ids, strict=True)}
    repeats = [r for r in rows if "_repeat" in r]
    for r in repeats:
        r["repeat_of_id"] = id_of[id(rows[r.pop("_repeat")])]
    repeat_ids = ctx.bulk(Hazard, repeats)
    names = {u.id: u.username for u in ctx.users}
    since = ctx.today - HISTORY if ctx.factor > 1 else date.min  # M and L: last year only
    kept = [(i, r) for i, r in zip(ids + repeat_ids, originals + repeats, strict=True)]
    kept = [(i, r) for i, r in kept if r["found_at"].date() >= since]
    ctx.bulk(WorkflowEvent, hazard_events(rng, [i for i, _ in kept], [r for _, r in kept], names))
    return ctx.counts


def _row(
    ctx: DemoContext,
    rng: random.Random,
    found: datetime,
    cat: tuple[int, str] | None,
    source: HazardSource,
    sites: list[Site],
    reporters: list[int],
    verifiers: list[int],
    rows: list[dict[str, Any]],
    repeat: int | None,
) -> dict[str, Any]:
    """One hazard's descriptive columns; a repeat copies what and where from its original."""
    reporter = rng.choice(reporters)
    base: dict[str, Any] = {
        **EMPTY,
        "found_at": found,
        "source": source,
        "reporter_id": reporter,
        "created_by": reporter,
        "verifier_id": rng.choice(verifiers),
        "level": HazardLevel.MAJOR if rng.random() < MAJOR_SHARE else HazardLevel.GENERAL,
    }
    if repeat is not None:
        src = rows[repeat]
        keep = ("enterprise_id", "department_id", "area_id", "location", "risk_point_id")
        more = ("title", "description", "category_id", "owner_id", "owner_department_id")
        return {
            **base,
            **{k: src[k] for k in keep + more},
            "measures": src["measures"],
            "_repeat": repeat,
        }
    site = rng.choice(sites)
    title, _, measure = TEXTS.get(cat[1] if cat else "10", TEXTS["10"])
    place = rng.choice(PLACES)
    title = title.format(eq=rng.choice(EQUIPMENT), place=place)
    linked = site.risk_points and rng.random() < 0.6
    return {
        **base,
        "enterprise_id": site.enterprise_id,
        "department_id": site.department_id,
        "area_id": site.area_id,
        "location": place,
        "risk_point_id": rng.choice(site.risk_points) if linked else None,
        "title": title,
        "description": f"{title}，存在事故风险，需限期整改。",
        "category_id": cat[0] if cat else None,
        "owner_id": rng.choice(site.owners) if site.owners else None,
        "owner_department_id": site.department_id,
        "measures": measure,
    }


def _number(rows: list[dict[str, Any]]) -> None:
    """YH-<year>-<seq> in order of discovery, across enterprises, as ``core.hazard.rules``
    issues them."""
    seq: dict[int, int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: r["found_at"]):
        year = row["found_at"].year
        seq[year] += 1
        row["number"] = format_number(year, seq[year])
