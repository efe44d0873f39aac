"""Demo data for risk control: the main plant's risk list of 14,544 points (342 major, 981
significant, 5,104 general, 8,117 low by residual level, as in the seed's screenshot), scored
under the active scoring schemes, JHA / SCL identification lines for the major and significant
points, control measures, checklists, inspection plans and three years of inspection tasks.

Points and measures are master data and do not scale; plans and tasks scale with the factor.
Current levels start at the residual ones: hazards are generated later, and
``core.risk.dynamic.refresh_all`` derives the raised levels from them.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import select

from core.demogen import DemoContext
from core.demogen import risk_inspections as inspections
from core.demogen.risk_templates import AREA_GROUPS, GROUPS, MEASURES, Component
from core.risk.schemes import active_scheme
from core.risk.scoring import Band, bands, lec_score, level_for, ls_score, shipped_bands
from models.enums import RiskLevel
from models.org import Area, Enterprise
from models.reference import AccidentType
from models.risk import AnalysisKind, IdentificationMethod, MeasureClass, ScoringMethod
from models.risk_register import RiskAnalysisItem, RiskMeasure, RiskPoint, RiskUnit

MAIN_LEVELS = {
    RiskLevel.MAJOR: 342,
    RiskLevel.SIGNIFICANT: 981,
    RiskLevel.GENERAL: 5104,
    RiskLevel.LOW: 8117,
}
MAIN_UNITS = 120
OTHER_POINTS = 240  # per other enterprise
OTHER_SHARE = (0.02, 0.07, 0.33)  # major, significant, general; the rest low
LEVELS = (RiskLevel.MAJOR, RiskLevel.SIGNIFICANT, RiskLevel.GENERAL, RiskLevel.LOW)
LEC_L, LEC_E, LEC_C = (0.5, 1, 3, 6, 10), (1, 2, 3, 6, 10), (1, 3, 7, 15, 40)
JHA_STEPS = ("作业前准备", "作业过程", "交叉作业", "作业结束清理")  # steps of a JHA activity
SCL_ITEMS = ("{c}本体及安全附件", "{c}安全防护装置", "{c}作业环境与标识")  # SCL check items
ANALYSED = (RiskLevel.MAJOR, RiskLevel.SIGNIFICANT)  # points that get identification lines


def generate(ctx: DemoContext) -> None:
    rules = bands(ctx.session)
    schemes = {m: getattr(active_scheme(ctx.session, m), "id", None) for m in ScoringMethod}
    if len(_combos(rules)) < 2 * len(LEVELS):  # edited bands that leave a level empty
        rules = shipped_bands()
    accidents = dict(ctx.session.exec(select(AccidentType.name, AccidentType.id)).all())
    combos = _combos(rules)
    author = _author(ctx)
    for ent in ctx.enterprises:
        main = ent.id == ctx.main.id
        areas = ctx.areas_of(ent.id) or []
        if not areas:
            continue
        counts = MAIN_LEVELS if main else _other_counts()
        units = _units(ctx, ent, areas, MAIN_UNITS if main else 12, author(ent))
        scored = (combos, rules, schemes)
        points = _points(ctx, ent, units, counts, scored, accidents, author(ent))
        _analysis(ctx, points, author(ent))
        measures = _measures(ctx, points, author(ent))
        checklists = inspections.checklists(ctx, units, measures, author(ent))
        plans = inspections.plans(ctx, ent, units, checklists, main, author(ent))
        inspections.tasks(ctx, plans, author(ent))


def _author(ctx: DemoContext):
    """The user who enters an enterprise's data: its safety manager where there is one."""
    by_ent: dict[int | None, int | None] = {}
    for u in ctx.users:
        if "safety_manager" in (u.roles or []) or u.username == "safety_manager":
            by_ent.setdefault(u.enterprise_id, u.id)
    fallback = next(iter(by_ent.values()), ctx.users[0].id if ctx.users else None)
    return lambda ent: by_ent.get(ent.id, fallback)


def _other_counts() -> dict[RiskLevel, int]:
    major, sig, gen = (round(OTHER_POINTS * s) for s in OTHER_SHARE)
    return {
        RiskLevel.MAJOR: major,
        RiskLevel.SIGNIFICANT: sig,
        RiskLevel.GENERAL: gen,
        RiskLevel.LOW: OTHER_POINTS - major - sig - gen,
    }


def _combos(rules: list[Band]) -> dict[tuple[str, RiskLevel], list[tuple[float, ...]]]:
    """Factor combinations whose score falls in each level's band, per method."""
    out: dict[tuple[str, RiskLevel], list[tuple[float, ...]]] = {}
    for lec in itertools.product(LEC_L, LEC_E, LEC_C):
        score = lec_score(*lec)
        level = level_for(ScoringMethod.LEC, score, rules)
        if score < 9:
            continue  # trivial risks are not listed
        out.setdefault((ScoringMethod.LEC, level), []).append(lec)
    for ls in itertools.product(range(1, 6), range(1, 6)):
        if ls_score(*ls) < 2:
            continue
        level = level_for(ScoringMethod.LS, ls_score(*ls), rules)
        out.setdefault((ScoringMethod.LS, level), []).append(ls)
    return out


def _groups_of(area: Area) -> tuple[str, ...]:
    for word, groups in AREA_GROUPS:
        if word in area.name:
            return groups
    return ("machine",)


def _units(ctx, ent: Enterprise, areas: list[Area], n: int, author) -> list[dict[str, Any]]:
    """``n`` units spread over the areas, named after the area's equipment and activities."""
    rows: list[dict[str, Any]] = []
    people = ctx.people_of(ent.id)
    for i in range(n):
        area = areas[i % len(areas)]
        k = i // len(areas)
        groups = _groups_of(area)
        group = groups[k % len(groups)]
        names = GROUPS[group][0]
        base, kind = names[(k // len(groups)) % len(names)]
        number = k // (len(groups) * len(names)) + 1
        staff = [p for p in people if p.department_id == area.department_id] or people
        rows.append(
            {
                "name": f"{area.name}{number}#{base}",
                "code": f"RU{ent.id:02d}-{i + 1:03d}",
                "kind": kind,
                "area_id": area.id,
                "enterprise_id": ent.id,
                "department_id": area.department_id,
                "owner_id": ctx.rng.choice(staff).id if staff else None,
                "created_by": author,
                "_group": group,
                "_staff": staff,
            }
        )
    ids = ctx.bulk(RiskUnit, [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return rows


def _points(ctx, ent, units, counts, scored, accidents, author) -> list[dict[str, Any]]:
    """Points drawn from the units' components; the most severe-looking get the high levels."""
    combos, rules, schemes = scored
    rng = ctx.rng
    total = sum(counts.values())
    drafts: list[tuple[float, dict[str, Any], Component]] = []
    for i in range(total):
        unit = units[i % len(units)]
        unit["_n"] = len(units)
        comps = GROUPS[unit["_group"]][1]
        comp = comps[min(int(rng.paretovariate(1.4)) - 1, len(comps) - 1)]
        drafts.append((comp.severity + rng.random() * 3, unit, comp))
    order = sorted(range(total), key=lambda j: -drafts[j][0])
    level_of: list[RiskLevel] = [RiskLevel.LOW] * total
    ranked = iter(order)
    for level in LEVELS:
        for j in itertools.islice(ranked, counts[level]):
            level_of[j] = level
    rows = []
    for j, (_, unit, comp) in enumerate(drafts):
        method = ScoringMethod.LS if rng.random() < 0.2 else ScoringMethod.LEC
        rows.append(_point(ctx, ent, j, unit, comp, method, level_of[j], combos, rules, accidents))
        rows[-1]["created_by"] = author
        rows[-1]["scheme_id"] = schemes[method]
    ids = ctx.bulk(RiskPoint, [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return rows


def _point(ctx, ent, j, unit, comp, method, level, combos, rules, accidents) -> dict[str, Any]:
    rng = ctx.rng
    residual = rng.choice(combos[(method, level)])
    inherent = _raise(method, residual, rules, rng)
    staff = unit["_staff"]
    activity = unit["kind"] == "activity"
    row: dict[str, Any] = {
        "unit_id": unit["id"],
        "name": (
            f"{JHA_STEPS[j // unit['_n'] % len(JHA_STEPS)]}：{comp.name}"
            if activity
            else f"{j // unit['_n'] % 9 + 1}#{comp.name}"
        ),
        "code": f"RP{ent.id:02d}-{j + 1:05d}",
        "method": IdentificationMethod.JHA if activity else IdentificationMethod.SCL,
        "scoring": method,
        "hazard_factors": comp.hazard,
        "accident_type_id": accidents.get(comp.accident),
        "other_accident_types": comp.other,
        "area_id": unit["area_id"],
        "enterprise_id": ent.id,
        "department_id": unit["department_id"],
        "responsible_person_id": rng.choice(staff).id if staff else None,
        "_comp": comp,
        "_unit": unit,
    }
    for stage, values in (("inherent", inherent), ("residual", residual)):
        if method == ScoringMethod.LEC:
            l, e, c = values  # noqa: E741
            score = lec_score(l, e, c)
            row.update({f"{stage}_l": l, f"{stage}_e": e, f"{stage}_c": c, f"{stage}_d": score})
            row.update({f"{stage}_ls_l": None, f"{stage}_ls_s": None, f"{stage}_r": None})
        else:
            l, s = values  # noqa: E741
            score = ls_score(l, s)
            row.update({f"{stage}_ls_l": l, f"{stage}_ls_s": s, f"{stage}_r": score})
            row.update({f"{stage}_l": None, f"{stage}_e": None, f"{stage}_c": None})
            row[f"{stage}_d"] = None
        row[f"{stage}_level"] = level_for(method, score, rules)
    row["current_level"], row["current_reason"] = row["residual_level"], None
    row["controls_failing"] = False
    return row


def _analysis(ctx, points, author) -> None:
    """JHA steps (activities) or SCL items (equipment) for the major and significant points:
    what the identification found at each, the consequence and the controls in place."""
    rows = []
    for p in points:
        if p["residual_level"] not in ANALYSED:
            continue
        comp: Component = p["_comp"]
        jha = p["method"] == IdentificationMethod.JHA
        labels = JHA_STEPS[:3] if jha else tuple(i.format(c=comp.name) for i in SCL_ITEMS)
        for seq, label in enumerate(labels, start=1):
            rows.append(
                {
                    "point_id": p["id"],
                    "seq": seq,
                    "kind": AnalysisKind.JHA_STEP if jha else AnalysisKind.SCL_ITEM,
                    "step_or_item": f"{label}：{comp.name}" if jha else label,
                    "hazard": comp.hazard,
                    "consequence": f"{comp.accident}、{comp.other}",
                    "standard": None if jha else f"{comp.name}符合安全技术规范，{comp.engineering}",
                    "existing_controls": comp.engineering,
                    "enterprise_id": p["enterprise_id"],
                    "department_id": p["department_id"],
                    "created_by": author,
                }
            )
    ctx.bulk(RiskAnalysisItem, rows)


def _raise(method, residual, rules, rng) -> tuple[float, ...]:
    """Inherent factors: the residual ones before controls, i.e. a higher likelihood."""
    scale = LEC_L if method == ScoringMethod.LEC else (1, 2, 3, 4, 5)
    if rng.random() < 0.3 or residual[0] == scale[-1]:
        return residual
    higher = scale[scale.index(residual[0]) + 1 :]
    return (rng.choice(higher[:2]), *residual[1:])


def _measures(ctx, points, author) -> list[dict[str, Any]]:
    """One to three measures a point (three for major risks), the engineering one first."""
    rng = ctx.rng
    rows = []
    others = [m for m in MeasureClass if m != MeasureClass.ENGINEERING]
    for p in points:
        comp: Component = p["_comp"]
        n = 3 if p["residual_level"] == RiskLevel.MAJOR else rng.choice((1, 2, 2, 3))
        chosen = [MeasureClass.ENGINEERING, *rng.sample(others, n - 1)]
        for cls in chosen:
            text = comp.engineering
            if cls != MeasureClass.ENGINEERING:
                text = rng.choice(MEASURES[cls.value]).format(c=comp.name)
            rows.append(
                {
                    "point_id": p["id"],
                    "measure_class": cls,
                    "content": text,
                    "enterprise_id": p["enterprise_id"],
                    "department_id": p["department_id"],
                    "responsible_person_id": p["responsible_person_id"],
                    "created_by": author,
                    "_point": p,
                }
            )
    ids = ctx.bulk(RiskMeasure, [{k: v for k, v in r.items() if k != "_point"} for r in rows])
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return rows
