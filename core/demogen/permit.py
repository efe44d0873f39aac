"""Demo work permits: three years of the eight GB 30871 types with realistic mix, weekday and
daytime pattern, overhaul peaks, gas readings for gas-tested permits and approval signatures.

Most permits belong to the main plant; nearly all are closed, a handful are active today.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlmodel import select

from core.demogen import DemoContext
from core.permit import PLANT_TZ, permit_number
from core.permit_demo import Crew, events, readings, signatures
from models.enums import Role
from models.permit import (
    Permit,
    PermitGasReading,
    PermitSignature,
    PermitState,
)
from models.permit_reference import GasLimit, PermitGrade, PermitTemplate, PermitType
from models.workflow import WorkflowEvent

ORDER = 30
PER_YEAR = 2500
HISTORY = timedelta(days=365)  # permits whose workflow events the demo writes
MAIN_SHARE = 0.7
TYPE_MIX = {"DH": 34, "GC": 22, "DZ": 12, "SX": 10, "LD": 10, "MB": 5, "DT": 4, "DL": 3}
GRADE_MIX = {
    "DH-T": 4, "DH-1": 44, "DH-2": 52,
    "GC-1": 55, "GC-2": 30, "GC-3": 12, "GC-T": 3,
    "DZ-1": 3, "DZ-2": 17, "DZ-3": 80,
}  # fmt: skip
OVERHAUL_MONTHS = {4: 2.4, 10: 2.0}  # spring and autumn shutdowns (大修)
MONTH_FACTOR = {1: 0.8, 2: 0.45, 7: 0.85, 8: 0.85, 12: 0.9}
WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.95, 0.35, 0.15)
START_HOURS = (7, 8, 8, 8, 9, 9, 10, 13, 14, 15)
TODAY_STATES = (
    PermitState.IN_PROGRESS, PermitState.IN_PROGRESS, PermitState.GAS_TESTED,
    PermitState.APPROVED, PermitState.SUSPENDED, PermitState.IN_PROGRESS,
)  # fmt: skip
TOMORROW_STATES = (PermitState.SUBMITTED, PermitState.APPROVING, PermitState.DRAFT)
CONTENT = {
    "DH": ("{e}管线焊接修复", "{e}法兰切割更换", "{e}支架气割", "{e}平台护栏焊接", "{e}壳体补焊"),
    "SX": ("{e}内部清理检查", "{e}内衬检修", "{e}人孔进入检测", "{e}内部防腐"),
    "MB": ("{e}进口管线加盲板", "{e}出口管线抽盲板", "{e}检修隔离盲板抽堵"),
    "GC": ("{e}顶部检修", "{e}外墙保温更换", "{e}照明灯具更换", "{e}管廊支架紧固", "{e}屋面防水"),
    "DZ": ("{e}吊装就位", "{e}部件吊出检修", "{e}钢结构吊装", "{e}电机吊装更换"),
    "LD": ("{e}检修临时电源接入", "{e}电焊机临时用电", "{e}临时照明用电"),
    "DT": ("{e}电缆沟开挖", "{e}基础开挖", "{e}地下管道开挖维修"),
    "DL": ("{e}道路封闭施工", "{e}管线穿越道路开挖", "{e}吊装作业占道"),
}
EQUIPMENT = ("1#热处理炉", "2#空压机", "天然气调压站", "涂装线", "铸造冷却塔", "总装厂房",
             "油漆库", "3#行车", "锅炉房", "污水处理池", "液压站", "氧气汇流排")  # fmt: skip
SPOTS = ("东侧", "西侧", "北侧", "南侧", "二层平台", "地面")
JSA = {
    "DH": (("动火前准备", "可燃物未清理", "清理30 m内可燃物, 设置接火盆"),
           ("气体分析", "可燃气体超标", "作业前30 min内取样分析合格"),
           ("焊接切割", "火花飞溅引发火灾", "配备灭火器, 监护人全程监护")),
    "SX": (("隔离置换", "有毒介质窜入", "加盲板隔离, 通风置换"),
           ("进入作业", "缺氧窒息、中毒", "气体检测合格, 佩戴呼吸防护, 专人监护")),
}  # fmt: skip
DEFAULT_JSA = (
    ("作业准备", "防护不到位", "检查个体防护用品和工器具"),
    ("作业实施", "人员伤害", "按票证措施落实, 监护人到位"),
)
CANCEL_REASONS = ("生产调度调整, 作业取消", "天气原因取消作业", "设备未交出, 作业推迟", "方案变更")


def _weighted_days(ctx: DemoContext) -> tuple[list[date], list[float]]:
    days = [d for d in ctx.days_back(3) if d < ctx.today]
    weights = [
        WEEKDAY_FACTOR[d.weekday()]
        * OVERHAUL_MONTHS.get(d.month, 1.0)
        * MONTH_FACTOR.get(d.month, 1.0)
        for d in days
    ]
    return days, list(accumulate(weights))


def _pick(rng: random.Random, options: list[PermitGrade]) -> PermitGrade:
    """A grade by GRADE_MIX (an admin's extra grade gets weight 1)."""
    if len(options) == 1:
        return options[0]
    return rng.choices(options, weights=[GRADE_MIX.get(g.code, 1) for g in options])[0]


class _Plant:
    """What one enterprise lends its permits: departments, areas, people, signers."""

    def __init__(self, ctx: DemoContext, enterprise_id: int, fallback: int | None) -> None:
        self.id = enterprise_id
        self.departments = [d.id for d in ctx.departments_of(enterprise_id)]
        self.areas = ctx.areas_of(enterprise_id)
        self.people = [p.id for p in ctx.people_of(enterprise_id)]
        self.users = [u.id for u in ctx.users if u.enterprise_id == enterprise_id]
        managers = [
            u.id
            for u in ctx.users
            if u.enterprise_id == enterprise_id and Role.SAFETY_MANAGER in u.roles
        ]
        self.owner = managers[0] if managers else fallback
        self.signers = self.users or ([self.owner] if self.owner else [])


def _xy(rng: random.Random, area: Any) -> tuple[float | None, float | None]:
    points = [p for p in (area.polygon or []) if isinstance(p, list | tuple) and len(p) >= 2]
    if not points:
        return None, None
    x = sum(p[0] for p in points) / len(points) + rng.uniform(-3, 3)
    y = sum(p[1] for p in points) / len(points) + rng.uniform(-3, 3)
    return round(x, 1), round(y, 1)


def _hours(rng: random.Random, code: str, grade: PermitGrade) -> int:
    if code == "LD":
        choice = rng.choice((8, 24, 72, 168, 336))
    elif grade.validity_hours >= 72:
        choice = rng.choice((4, 8, 8, 12, 24, 48, 72))
    else:
        choice = rng.choice((2, 3, 4, 4, 6, 8, 8))
    return min(choice, grade.validity_hours)


def generate(ctx: DemoContext) -> None:
    session, rng = ctx.session, ctx.rng
    types = {t.code: t for t in session.exec(select(PermitType).order_by(PermitType.code))}
    if not types:
        return  # reference lists not loaded: nothing to hang permits on
    grades: dict[str, list[PermitGrade]] = defaultdict(list)
    for g in session.exec(select(PermitGrade).order_by(PermitGrade.code)):
        grades[g.type_code].append(g)
    steps = {
        t.type_code: list(t.approval_steps)
        for t in session.exec(select(PermitTemplate).where(PermitTemplate.is_default))
    }
    limits: dict[str, list[GasLimit]] = defaultdict(list)
    for lim in session.exec(select(GasLimit).order_by(GasLimit.code)):
        limits[lim.type_code].append(lim)

    main = ctx.main
    fallback = next((u.id for u in ctx.users if Role.SAFETY_MANAGER in u.roles), None)
    plants = {e.id: _Plant(ctx, e.id, fallback) for e in ctx.enterprises}
    others = [e.id for e in ctx.enterprises if e.id != main.id and plants[e.id].departments]
    codes = [c for c in TYPE_MIX if c in types and grades.get(c)]
    days, cum = _weighted_days(ctx)

    total = PER_YEAR * 3 * ctx.factor
    n_today, n_tomorrow = 6 * ctx.factor, 3 * ctx.factor
    history = sorted(rng.choices(days, cum_weights=cum, k=total - n_today - n_tomorrow))
    plan = [(d, None) for d in history]
    plan += [(ctx.today, TODAY_STATES[i % len(TODAY_STATES)]) for i in range(n_today)]
    tomorrow = ctx.today + timedelta(days=1)
    plan += [(tomorrow, TOMORROW_STATES[i % len(TOMORROW_STATES)]) for i in range(n_tomorrow)]

    seq: dict[tuple[str, date], int] = defaultdict(int)
    rows: list[dict[str, Any]] = []
    crews: list[Crew] = []
    for day, forced in plan:
        on_main = forced is not None or not others or rng.random() < MAIN_SHARE
        plant = plants[main.id if on_main else rng.choice(others)]
        code = rng.choices(codes, weights=[TYPE_MIX[c] for c in codes])[0]
        grade = _pick(rng, grades[code])
        local = datetime.combine(day, time(rng.choice(START_HOURS), rng.choice((0, 0, 15, 30, 45))))
        start = local.replace(tzinfo=PLANT_TZ).astimezone(UTC)
        end = start + timedelta(hours=_hours(rng, code, grade))
        seq[(code, day)] += 1
        area = rng.choice(plant.areas) if plant.areas else None
        x, y = _xy(rng, area) if area is not None else (None, None)
        state = forced or _history_state(rng)
        if state == PermitState.GAS_TESTED and not types[code].requires_gas_analysis:
            state = PermitState.APPROVED  # no gas analysis for this type: ready to start
        applicant = rng.choice(plant.users) if plant.users else plant.owner
        crew = rng.sample(plant.people, k=min(len(plant.people), rng.randint(2, 5)))
        equipment = rng.choice(EQUIPMENT)
        rows.append(
            {
                "number": permit_number(code, day, seq[(code, day)]),
                "permit_type_id": types[code].id,
                "grade_id": grade.id,
                "enterprise_id": plant.id,
                "department_id": (area.department_id if area and area.department_id else None)
                or (rng.choice(plant.departments) if plant.departments else None),
                "area_id": area.id if area else None,
                "location": f"{area.name if area else equipment}{rng.choice(SPOTS)}",
                "x": x,
                "y": y,
                "planned_start": start,
                "planned_end": end,
                "content": rng.choice(CONTENT[code]).format(e=equipment),
                "applicant_id": applicant,
                "guardian_id": crew[0] if crew else None,
                "workers": crew[1:],
                "jsa": [
                    {"step": s, "hazard": h, "measure": m} for s, h, m in JSA.get(code, DEFAULT_JSA)
                ],
                "state": state,
                "cancel_reason": rng.choice(CANCEL_REASONS)
                if state == PermitState.CANCELLED
                else None,
                "closed_at": end - timedelta(minutes=rng.randint(0, 90))
                if state == PermitState.CLOSED
                else None,
                "created_by": applicant if on_main else plant.owner,
            }
        )
        crews.append(Crew(code, grade, plant.people, plant.signers))
    ids = ctx.bulk(Permit, rows)
    ctx.bulk(PermitGasReading, readings(rng, ids, rows, crews, types, limits))
    ctx.bulk(PermitSignature, signatures(rng, ids, rows, crews, steps))
    gas_types = {c for c, t in types.items() if t.requires_gas_analysis}
    # state histories for the last year only: they double the S runtime if kept for all three
    recent = [i for i, r in enumerate(rows) if r["planned_start"].date() >= ctx.today - HISTORY]
    picked = ([ids[i] for i in recent], [rows[i] for i in recent], [crews[i] for i in recent])
    ctx.bulk(WorkflowEvent, events(rng, *picked[:2], gas_types, picked[2]))


def _history_state(rng: random.Random) -> PermitState:
    r = rng.random()
    if r < 0.015:
        return PermitState.CANCELLED
    if r < 0.025:
        return PermitState.REJECTED
    return PermitState.CLOSED
