"""The inspection side of the risk demo: checklists from the control measures, plans per
unit, and three years of rounds with their ticked lines (called by ``core.demogen.risk``, with
its random generator, so the demo stays the same)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.demogen.risk_templates import SPECIAL_PLANS
from core.inspection.schedule import HORIZON_DAYS, due_dates
from core.inspection.todo import OPEN_STATES
from models.enums import RiskLevel
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

CHECK_ITEMS = 40  # per checklist
LEVELS = tuple(RiskLevel)  # most severe first: the order checklist lines are taken in
PLAN_CYCLES = {  # per main plant at S: (count, cycle days)
    InspectionPlanType.DAILY: (2, 1),
    InspectionPlanType.WEEKLY: (8, 7),
    InspectionPlanType.MONTHLY: (8, 30),
    InspectionPlanType.COMPREHENSIVE: (1, 91),
    InspectionPlanType.SPECIAL: (1, 182),
}


def checklists(ctx, units, measures, author) -> dict[int, dict[str, Any]]:
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


def plans(ctx, ent, units, checklists, main, author) -> list[dict[str, Any]]:
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


def tasks(ctx, plans, author) -> None:
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
