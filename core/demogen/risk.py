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
from datetime import timedelta
from typing import Any

from sqlmodel import select

from core.demogen import DemoContext
from core.demogen.risk_templates import AREA_GROUPS, GROUPS, MEASURES, SPECIAL_PLANS, Component
from core.inspection.schedule import HORIZON_DAYS, due_dates
from core.inspection.todo import OPEN_STATES
from core.risk.schemes import active_scheme
from core.risk.scoring import Band, bands, lec_score, level_for, ls_score, shipped_bands
from models.enums import RiskLevel
from models.org import Area, Enterprise
from models.reference import AccidentType
from models.risk import AnalysisKind, IdentificationMethod, MeasureClass, ScoringMethod
from models.risk_inspection import (
    CheckResult,
    InspectionCheckItem,
    InspectionChecklist,
    InspectionPlan,
    InspectionPlanType,
    InspectionResult,
    InspectionTask,
    InspectionTaskItem,
    InspectionTaskState,
)
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
CHECK_ITEMS = 40  # per checklist
PLAN_CYCLES = {  # per main plant at S: (count, cycle days)
    InspectionPlanType.DAILY: (2, 1),
    InspectionPlanType.WEEKLY: (8, 7),
    InspectionPlanType.MONTHLY: (8, 30),
    InspectionPlanType.COMPREHENSIVE: (1, 91),
    InspectionPlanType.SPECIAL: (1, 182),
}


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
        checklists = _checklists(ctx, units, measures, author(ent))
        plans = _plans(ctx, ent, units, checklists, main, author(ent))
        _tasks(ctx, plans, author(ent))


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


def _checklists(ctx, units, measures, author) -> dict[int, dict[str, Any]]:
    """A checklist per unit whose items are the unit's most important measures."""
    lists = [
        {
            "name": f"{u['name']}隐患排查表",
            "unit_id": u["id"],
            "enterprise_id": u["enterprise_id"],
            "department_id": u["department_id"],
            "description": "依据风险管控措施生成",
            "created_by": author,
        }
        for u in units
    ]
    ids = ctx.bulk(InspectionChecklist, lists)
    by_unit = {u["id"]: {**row, "id": i} for u, row, i in zip(units, lists, ids, strict=True)}
    grouped: dict[int, list[dict[str, Any]]] = {}
    for m in measures:
        grouped.setdefault(m["_point"]["unit_id"], []).append(m)
    items = []
    for unit_id, ms in grouped.items():
        ms.sort(key=lambda m: (LEVELS.index(m["_point"]["residual_level"]), m["id"]))
        for seq, m in enumerate(ms[:CHECK_ITEMS], start=1):
            p = m["_point"]
            items.append(
                {
                    "checklist_id": by_unit[unit_id]["id"],
                    "seq": seq,
                    "content": f"{p['name']}：{m['content']}",
                    "standard": f"{p['hazard_factors']}的管控措施落实到位",
                    "measure_id": m["id"],
                    "enterprise_id": m["enterprise_id"],
                    "department_id": m["department_id"],
                    "created_by": author,
                }
            )
    for item, item_id in zip(items, ctx.bulk(InspectionCheckItem, items), strict=True):
        item["id"] = item_id
    lines: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        lines.setdefault(item["checklist_id"], []).append(item)
    for row in by_unit.values():
        row["_items"] = lines.get(row["id"], [])  # what each round of its plans copies
    return by_unit


def _plans(ctx, ent, units, checklists, main, author) -> list[dict[str, Any]]:
    """Recurring plans (scaled by the factor), the higher-risk units checked most often."""
    rng = ctx.rng
    start = ctx.today - timedelta(days=365 * 3)
    cycles = (
        PLAN_CYCLES
        if main
        else {InspectionPlanType.WEEKLY: (1, 7), InspectionPlanType.MONTHLY: (1, 30)}
    )
    rows = []
    inspectors = _inspectors(ctx, units) if main else []
    for plan_type, (count, days) in cycles.items():
        for k in range(count * ctx.factor):
            unit = units[(k * 7 + len(rows)) % len(units)]
            staff = unit["_staff"]
            assignee = rng.choice(staff).id if staff else None
            if plan_type in _INSPECTOR_PLANS and k < len(inspectors):
                unit, assignee = inspectors[k]  # the demo inspectors have rounds to do
            label = (
                SPECIAL_PLANS[k % len(SPECIAL_PLANS)]
                if plan_type == InspectionPlanType.SPECIAL
                else None
            )
            rows.append(
                {
                    "name": label or f"{unit['name']}{_TYPE_NAMES[plan_type]}",
                    "plan_type": plan_type,
                    "cycle_days": days,
                    "checklist_id": checklists[unit["id"]]["id"],
                    "enterprise_id": ent.id,
                    "department_id": unit["department_id"],
                    "assignee_id": assignee,
                    "checkin_required": plan_type
                    in (InspectionPlanType.DAILY, InspectionPlanType.WEEKLY),
                    "active": True,
                    "starts_on": start + timedelta(days=rng.randrange(days)),
                    "ends_on": None,
                    "created_by": author,
                    "_unit": unit,
                    "_items": checklists[unit["id"]]["_items"],
                }
            )
    plain = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    for row, row_id in zip(rows, ctx.bulk(InspectionPlan, plain), strict=True):
        row["id"] = row_id
    return rows


def _inspectors(ctx, units) -> list[tuple[dict[str, Any], int]]:
    """(a unit of their department, their person) for each demo inspector account."""
    found = []
    for user in ctx.users:
        if "inspector" in (user.roles or []) and user.person_id is not None:
            mine = [u for u in units if u["department_id"] == user.department_id]
            if mine:
                found.append((mine[0], user.person_id))
    return found


_TYPE_NAMES = {
    InspectionPlanType.DAILY: "日常巡检",
    InspectionPlanType.WEEKLY: "周排查",
    InspectionPlanType.MONTHLY: "月度排查",
    InspectionPlanType.COMPREHENSIVE: "季度综合排查",
    InspectionPlanType.SPECIAL: "专项排查",
}
_ISSUE_RATE = {1: 0.2, 2: 0.16, 6: 0.18, 7: 0.24, 8: 0.24, 12: 0.18}  # winter heating, summer heat
_INSPECTOR_PLANS = (InspectionPlanType.DAILY, InspectionPlanType.WEEKLY)
LINE_DAYS = 90
_REMARKS = (
    "现场检查不符合要求，已拍照记录",
    "防护装置缺失，未恢复",
    "安全警示标识缺失、不清晰",
    "点检记录未按时填写",
    "个体防护用品未按规定佩戴",
)


def _tasks(ctx, plans, author) -> None:
    """Every plan's rounds on the dates the task generator uses (so running it on the demo
    adds nothing), up to its horizon; most past ones done, a few overdue. Rounds of the last
    ``LINE_DAYS`` days and open ones carry their lines (a copy of the checklist with the
    verdicts); older ones keep only their result, which keeps scale L affordable."""
    rng, today = ctx.rng, ctx.today
    until = today + timedelta(days=HORIZON_DAYS)
    users = {u.person_id: u.id for u in ctx.users if u.person_id is not None}
    rows = []
    for plan in plans:
        days = due_dates(plan["plan_type"], plan["cycle_days"], plan["starts_on"], None, until)
        for due in days:
            row = _task(ctx, plan, plan["_unit"], due, rng, today, author)
            if (today - due).days <= LINE_DAYS or row["state"] in OPEN_STATES:
                row["_lines"] = _lines(ctx, plan, row, users.get(plan["assignee_id"]))
            rows.append(row)
    plain = [{k: v for k, v in r.items() if k != "_lines"} for r in rows]
    ids = ctx.bulk(InspectionTask, plain)
    lines = (
        {**line, "task_id": task_id}
        for row, task_id in zip(rows, ids, strict=True)
        for line in row.get("_lines", ())
    )
    ctx.bulk(InspectionTaskItem, lines)


def _lines(ctx, plan, task, checked_by) -> list[dict[str, Any]]:
    """The round's copy of its checklist: done rounds have a verdict on every line (as many
    failed lines as issues found), rounds in progress on the first half, others none."""
    rng, items, state = ctx.rng, plan["_items"], task["state"]
    verdicts: list[CheckResult | None] = [None] * len(items)
    when = task["done_at"]
    if state == InspectionTaskState.DONE:
        failed = set(rng.sample(range(len(items)), min(task["issues_found"], len(items))))
        task["issues_found"] = len(failed)
        task["result"] = InspectionResult.ISSUES if failed else InspectionResult.OK
        verdicts = [
            CheckResult.FAIL
            if i in failed
            else (CheckResult.NA if rng.random() < 0.04 else CheckResult.PASS)
            for i in range(len(items))
        ]
    elif state == InspectionTaskState.IN_PROGRESS:
        half = len(items) // 2
        verdicts = [CheckResult.PASS] * half + [None] * (len(items) - half)
        when = ctx.moment(ctx.today, rng)
    return [
        {
            "check_item_id": item["id"],
            "measure_id": item["measure_id"],
            "seq": item["seq"],
            "content": item["content"],
            "standard": item["standard"],
            "result": verdict,
            "remark": rng.choice(_REMARKS) if verdict == CheckResult.FAIL else None,
            "checked_at": when if verdict is not None else None,
            "checked_by": checked_by if verdict is not None else None,
            "enterprise_id": task["enterprise_id"],
            "department_id": task["department_id"],
            "created_by": task["created_by"],
        }
        for item, verdict in zip(items, verdicts, strict=True)
    ]


def _task(ctx, plan, unit, due, rng, today, author) -> dict[str, Any]:
    state, done_at, result, issues = InspectionTaskState.PENDING, None, None, 0
    age = (today - due).days
    if age > 0:
        roll = rng.random()
        overdue = 0.12 if age <= 60 else 0.0  # a round missed long ago was written off
        if roll < overdue:
            state = InspectionTaskState.OVERDUE
        elif roll < overdue + (0.02 if age <= 60 else 0.03):
            state = InspectionTaskState.CANCELLED
        else:
            state = InspectionTaskState.DONE
    elif age == 0 and rng.random() < 0.5:
        state = InspectionTaskState.IN_PROGRESS
    if state == InspectionTaskState.DONE:
        lead = rng.randrange(min(plan["cycle_days"], 3))
        late = rng.random() < 0.05
        done_day = due + timedelta(days=rng.randint(1, 5)) if late else due - timedelta(days=lead)
        done_at = ctx.moment(min(done_day, today), rng)
        if rng.random() < _ISSUE_RATE.get(due.month, 0.12):
            result, issues = InspectionResult.ISSUES, rng.choice((1, 1, 1, 2, 2, 3))
        else:
            result = InspectionResult.OK
    return {
        "name": f"{plan['name']} {due.isoformat()}",
        "plan_id": plan["id"],
        "due_date": due,
        "enterprise_id": plan["enterprise_id"],
        "department_id": plan["department_id"],
        "assignee_id": plan["assignee_id"],
        "state": state,
        "done_at": done_at,
        "result": result,
        "issues_found": issues,
        "checkin_location": (
            unit["name"]
            if plan["checkin_required"] and (done_at or state == InspectionTaskState.IN_PROGRESS)
            else None
        ),
        "remark": None,
        "created_by": author,
    }
