"""Occupational-health demo: exposures per workshop and post, three years of quarterly
monitoring (~3 % above the limit), exams per exposed person on the GBZ 188 cycle, PPE
standards per post and their issues. Master rows (exposures, PPE standards) do not scale;
monitoring, exams and issues are repeated ``ctx.factor`` times (extra points / cohorts)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from core.clock import add_months
from core.demogen import DemoContext
from core.health.rules import is_exceeded, next_exam_due
from models.health import (
    ExamKind,
    ExamResult,
    FactorExposure,
    FollowUp,
    HealthExam,
    MonitoringResult,
    OccupationalFactor,
)
from models.health_ppe import PpeIssue, PpeItem, PpeStandard

# enterprise key → (department, post or None, area or None, factor code, work content)
EXPOSURES: dict[str, list[tuple[str, str | None, str | None, str, str]]] = {
    "HD": [
        ("机修车间", "设备维修工", "机修车间", "PH-NOISE", "车床、铣床加工及设备检修"),
        ("机修车间", "焊工", "机修车间", "DU-WELD", "检修焊接"),
        ("铸造车间", "铸造工", "铸造熔炼区", "PH-NOISE", "落砂、清理"),
        ("铸造车间", "铸造工", "铸造熔炼区", "DU-SIO2", "混砂、造型、落砂"),
        ("铸造车间", "铸造工", "铸造熔炼区", "PH-HEAT", "熔炼、浇注"),
        ("铸造车间", "铸造工", "铸造熔炼区", "CH-CO", "冲天炉/中频炉熔炼"),
        ("焊接车间", "焊工", "焊接车间", "DU-WELD", "CO2气体保护焊、手工电弧焊"),
        ("焊接车间", "焊工", "焊接车间", "CH-MN", "焊接(焊条含锰)"),
        ("焊接车间", "焊工", "焊接车间", "PH-UV", "电焊弧光"),
        ("焊接车间", "焊工", "焊接车间", "PH-NOISE", "碳弧气刨、打磨"),
        ("装配车间", "装配钳工", "总装车间", "PH-NOISE", "装配、风动工具"),
        ("装配车间", "装配钳工", "总装车间", "DU-GRIND", "砂轮打磨"),
        ("涂装车间", "涂装工", "涂装车间", "CH-BENZ", "喷漆、调漆"),
        ("涂装车间", "涂装工", "涂装车间", "CH-TOL", "喷漆、调漆"),
        ("涂装车间", "涂装工", "涂装车间", "CH-XYL", "喷漆、调漆"),
        ("涂装车间", "涂装工", "涂装车间", "CH-ETAC", "稀释剂使用"),
    ],
    "SJ": [
        ("合成车间", "化工操作工", "合成车间", "CH-BENZ", "投料、取样"),
        ("合成车间", "化工操作工", "合成车间", "CH-NH3", "氨化反应"),
        ("合成车间", "化工操作工", "合成车间", "CH-CL2", "氯化反应"),
        ("精馏车间", "化工操作工", "精馏车间", "CH-TOL", "精馏、采样"),
        ("储运部", "罐区操作工", "甲类罐区", "CH-H2S", "罐区巡检、脱水"),
        ("机修车间", "焊工", "机修车间", "DU-WELD", "检修焊接"),
    ],
    "LG": [
        ("仓储一部", "装卸工", "一号仓库", "ER-POSE", "人工搬运、码垛"),
        ("设备维修组", "设备维修工", "车辆维修间", "PH-NOISE", "车辆维修"),
    ],
}

# post → (PPE code, quantity per cycle)
PPE_BY_POST: dict[str, list[tuple[str, int]]] = {
    "焊工": [
        ("PPE-01", 1),
        ("PPE-03", 1),
        ("PPE-11", 2),
        ("PPE-14", 1),
        ("PPE-15", 1),
        ("PPE-06", 20),
    ],
    "铸造工": [
        ("PPE-01", 1),
        ("PPE-02", 1),
        ("PPE-04", 10),
        ("PPE-06", 20),
        ("PPE-13", 1),
        ("PPE-15", 1),
    ],
    "涂装工": [("PPE-07", 1), ("PPE-08", 2), ("PPE-18", 1), ("PPE-15", 1), ("PPE-10", 4)],
    "设备维修工": [("PPE-01", 1), ("PPE-02", 1), ("PPE-04", 10), ("PPE-10", 4), ("PPE-15", 1)],
    "电工": [("PPE-01", 1), ("PPE-09", 1), ("PPE-16", 1)],
    "装配钳工": [("PPE-01", 1), ("PPE-04", 10), ("PPE-10", 4), ("PPE-15", 1)],
    "起重工": [("PPE-01", 1), ("PPE-12", 1), ("PPE-10", 4), ("PPE-15", 1)],
    "行车司机": [("PPE-01", 1), ("PPE-15", 1)],
    "化工操作工": [("PPE-01", 1), ("PPE-07", 1), ("PPE-08", 2), ("PPE-13", 1), ("PPE-15", 1)],
    "罐区操作工": [("PPE-01", 1), ("PPE-07", 1), ("PPE-13", 1), ("PPE-15", 1)],
    "叉车司机": [("PPE-01", 1), ("PPE-17", 1), ("PPE-15", 1)],
    "装卸工": [("PPE-01", 1), ("PPE-10", 4), ("PPE-17", 1), ("PPE-15", 1)],
    "仓管员": [("PPE-17", 1), ("PPE-15", 1)],
}

AGENCIES = (
    "上海华测职业卫生检测有限公司",
    "上海谱尼职业卫生技术服务有限公司",
    "浦东新区疾病预防控制中心",
)
CLINICS = ("上海市化工职业病防治院", "浦东新区职业病防治所", "上海市第六人民医院体检中心")
OVERDUE_SHARE = 0.1
HOURS = (2.0, 4.0, 6.0, 8.0)
CONTROLS = ("局部排风", "隔声罩", "通风除尘", "密闭+负压", None)


def _user_id(ctx: DemoContext) -> int | None:
    by_name = {u.username: u.id for u in ctx.users}
    return by_name.get("safety_manager") or (ctx.users[0].id if ctx.users else None)


def _measure(ctx: DemoContext, factor: OccupationalFactor) -> float:
    """A plausible reading: about 3 % of them above the limit (log-normal around 45 %)."""
    limit = factor.limit_value
    if limit is None:
        return round(ctx.rng.uniform(1, 10), 2)
    if factor.unit.startswith("dB"):
        return round(limit + ctx.rng.gauss(-7.0, 3.8), 1)
    if factor.unit == "°C":
        return round(limit + ctx.rng.gauss(-3.5, 1.9), 1)
    ratio = ctx.rng.lognormvariate(math.log(0.45), 0.42)
    return round(limit * ratio, 3 if limit < 1 else 2)


def generate(ctx: DemoContext) -> None:
    rng, today, uid = ctx.rng, ctx.today, _user_id(ctx)
    factors = {f.code: f for f in ctx.session.exec(select(OccupationalFactor))}
    items = {i.code: i for i in ctx.session.exec(select(PpeItem))}
    start = today - timedelta(days=365 * 3)
    # the demo organisation codes departments "<enterprise key>-Dnn"
    keys = {(d.code or "").split("-")[0]: d.enterprise_id for d in ctx.departments}
    dept = {(d.enterprise_id, d.name): d.id for d in ctx.departments}
    area = {(a.enterprise_id, a.name): a.id for a in ctx.areas}
    post = {(p.enterprise_id, p.name): p for p in ctx.posts}
    base = {"created_by": uid, "deleted_at": None}

    exposures: list[dict[str, Any]] = []
    staff: list[tuple[int, Any, str]] = []  # (enterprise id, person, factor code)
    for key, rows in EXPOSURES.items():
        ent = keys.get(key)
        if ent is None:
            continue
        for department, post_name, area_name, code, work in rows:
            dep_id, p = dept.get((ent, department)), post.get((ent, post_name or ""))
            people = [
                x for x in ctx.people_of(ent)
                if x.department_id == dep_id and (p is None or x.post_id == p.id)
            ]  # fmt: skip
            staff += [(ent, x, code) for x in people]
            exposures.append(
                base | {"enterprise_id": ent, "department_id": dep_id,
                        "post_id": p.id if p else None, "area_id": area.get((ent, area_name or "")),
                        "factor_id": factors[code].id, "work_content": work,
                        "exposed_count": len(people), "hours_per_day": rng.choice(HOURS),
                        "controls": rng.choice(CONTROLS)}
            )  # fmt: skip
    ctx.bulk(FactorExposure, exposures)

    monitoring: list[dict[str, Any]] = []
    for ex in exposures:
        factor = next(f for f in factors.values() if f.id == ex["factor_id"])
        points = (1 + (ex["exposed_count"] > 4)) * ctx.factor
        for n in range(1, points + 1):
            point = f"{ex['work_content'].split('、')[0]}工位 {n}#"
            for q in range(12):
                day = start + timedelta(days=91 * q + rng.randint(15, 75))
                if day > today:
                    continue
                value = _measure(ctx, factor)
                monitoring.append(
                    base | {"enterprise_id": ex["enterprise_id"],
                            "department_id": ex["department_id"], "area_id": ex["area_id"],
                            "factor_id": factor.id, "point": point,
                            "sampled_on": day, "value": value, "unit": factor.unit,
                            "limit_value": factor.limit_value,
                            "exceeded": is_exceeded(value, factor.limit_value),
                            "agency": rng.choice(AGENCIES),
                            "report_no": f"ZJ{day.year}-{len(monitoring) + 1:05d}"}
                )  # fmt: skip
    ctx.bulk(MonitoringResult, monitoring)

    ctx.bulk(HealthExam, _exams(ctx, staff, factors, start, base))

    standards, cycles = [], {}
    for p in ctx.posts:
        for code, qty in PPE_BY_POST.get(p.name, []):
            cycles[(p.id, code)] = items[code].replacement_months
            standards.append(
                base | {"enterprise_id": p.enterprise_id, "department_id": p.department_id,
                        "post_id": p.id, "ppe_item_id": items[code].id, "quantity": qty,
                        "cycle_months": items[code].replacement_months, "note": None}
            )  # fmt: skip
    ctx.bulk(PpeStandard, standards)
    ctx.bulk(PpeIssue, _issues(ctx, items, cycles, start, base))


def _exams(
    ctx: DemoContext,
    staff: list[tuple[int, Any, str]],
    factors: dict[str, OccupationalFactor],
    start: date,
    base: dict[str, Any],
) -> list[dict[str, Any]]:
    """Per exposed person and factor: pre-employment at hire (if within the window), periodic
    on the factor's interval, a few overdue (last exam skipped), some abnormal results."""
    rng, rows = ctx.rng, []
    for rep in range(ctx.factor):
        for ent, person, code in staff:
            factor = factors[code]
            interval = factor.exam_interval_months or 0
            if not interval:
                continue
            hired = person.hired_on or start
            day = max(start, hired) + timedelta(days=rng.randint(0, 60) + rep * 3)
            kind = ExamKind.PRE_EMPLOYMENT if hired >= start else ExamKind.PERIODIC
            skip_last = rng.random() < OVERDUE_SHARE
            while day <= ctx.today:
                nxt = add_months(day, interval)
                if skip_last and nxt > ctx.today:
                    break
                result = rng.choices(list(ExamResult), weights=(86, 10, 3, 1))[0]
                follow = {
                    ExamResult.NORMAL: FollowUp.NONE,
                    ExamResult.ABNORMAL: FollowUp.RECHECK,
                    ExamResult.CONTRAINDICATED: FollowUp.JOB_TRANSFER,
                    ExamResult.SUSPECTED_OCCUPATIONAL: FollowUp.DIAGNOSIS,
                }[result]
                rows.append(
                    base | {"enterprise_id": ent, "department_id": person.department_id,
                            "person_id": person.id, "kind": kind, "exam_date": day,
                            "factor_id": factor.id, "institution": rng.choice(CLINICS),
                            "result": result, "conclusion": None, "follow_up": follow,
                            "follow_up_done": follow == FollowUp.NONE or rng.random() < 0.7,
                            "next_due": next_exam_due(kind, day, interval)}
                )  # fmt: skip
                kind = ExamKind.PERIODIC
                day = nxt + timedelta(days=rng.randint(-20, 20))
    return rows


def _issues(
    ctx: DemoContext,
    items: dict[str, PpeItem],
    cycles: dict[tuple[int, str], int],
    start: date,
    base: dict[str, Any],
) -> list[dict[str, Any]]:
    rng, rows = ctx.rng, []
    for rep in range(ctx.factor):
        for person in ctx.people:
            for (post_id, code), cycle in cycles.items():
                if post_id != person.post_id:
                    continue
                day = start + timedelta(days=rng.randint(0, 30 * min(cycle, 6)) + rep)
                late = rng.random() < OVERDUE_SHARE
                while day <= ctx.today:
                    nxt = add_months(day, cycle)
                    if late and nxt > ctx.today:
                        break
                    rows.append(
                        base | {"enterprise_id": person.enterprise_id,
                                "department_id": person.department_id, "person_id": person.id,
                                "ppe_item_id": items[code].id, "quantity": 1, "issue_date": day,
                                "next_due": nxt, "signed": rng.random() < 0.95}
                    )  # fmt: skip
                    day = nxt + timedelta(days=rng.randint(-5, 10))
    return rows
