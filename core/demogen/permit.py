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
from core.demogen.permit_rows import STARTED, Crew, events, readings, signatures
from core.geometry import box, clean_polygon, spot
from core.permit.rules import PLANT_TZ, permit_number
from core.permit.templates import template_for
from core.permit.workers import SPECIAL, matches
from models.enums import Role
from models.org import Certificate
from models.permit import Permit, PermitGasReading, PermitSignature, PermitState
from models.permit_reference import GasLimit, PermitGrade, PermitTemplate, PermitType
from models.workflow import WorkflowEvent

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
    PermitState.IN_PROGRESS, PermitState.IN_PROGRESS, PermitState.APPROVED,
    PermitState.APPROVED, PermitState.SUSPENDED, PermitState.IN_PROGRESS,
)  # fmt: skip
TOMORROW_STATES = (PermitState.APPROVING, PermitState.APPROVING, PermitState.DRAFT)
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
SUSPEND_REASONS = ("复测可燃气体浓度上升, 暂停作业", "监护人临时离开现场", "突发大风, 暂停作业",
                   "生产工况变化, 暂停作业")  # fmt: skip
#: Which approval roles each system role signs in the demo (``core.permit.approval`` rules).
SIGNER_ROLES = {
    "gas_tester": (Role.INSPECTOR,),
    "unit_head": (Role.DEPT_HEAD,),
    "safety_dept": (Role.SAFETY_MANAGER,),
    "plant_leader": (Role.SAFETY_HEAD,),
    "acceptor": (Role.DEPT_HEAD, Role.SAFETY_MANAGER),
}


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


APPROVERS = {Role.SAFETY_HEAD, Role.SAFETY_MANAGER, Role.DEPT_HEAD, Role.INSPECTOR}
APPLICANTS = APPROVERS | {Role.EMPLOYEE}


class _Plant:
    """What one enterprise lends its permits: departments, areas, people, signers."""

    def __init__(self, ctx: DemoContext, enterprise_id: int, fallback: int | None) -> None:
        self.id = enterprise_id
        self.departments = [d.id for d in ctx.departments_of(enterprise_id)]
        self.areas = ctx.areas_of(enterprise_id)
        self.people = [p.id for p in ctx.people_of(enterprise_id)]
        users = [u for u in ctx.users if u.enterprise_id == enterprise_id]
        self.users = [u.id for u in users if APPLICANTS & set(u.roles)]
        managers = [u.id for u in users if Role.SAFETY_MANAGER in u.roles]
        self.owner = managers[0] if managers else fallback
        # approval roles → users; a plant without accounts signs on paper (names only)
        approvers = [u.id for u in users if APPROVERS & set(u.roles)]
        self.signers = {
            role: [u.id for u in users if set(wanted) & set(u.roles)]
            for role, wanted in SIGNER_ROLES.items()
        } | {"": approvers}


def _spots(areas: list[Any]) -> dict[int, tuple[list[list[float]], Any]]:
    """Each area's outline and inset box, for positions inside it (``plan_geometry.spot``)."""
    out = {}
    for area in areas:
        poly = clean_polygon(area.polygon)
        if len(poly) >= 3:
            out[area.id] = (poly, box(poly))
    return out


def _hours(rng: random.Random, code: str, grade: PermitGrade) -> int:
    if code == "LD":
        choice = rng.choice((8, 24, 72, 168, 336))
    elif grade.validity_hours >= 72:
        choice = rng.choice((4, 8, 8, 12, 24, 48, 72))
    else:
        choice = rng.choice((2, 3, 4, 4, 6, 8, 8))
    return min(choice, grade.validity_hours)


def _holders(ctx: DemoContext, templates: dict[str, PermitTemplate]) -> dict[tuple, list]:
    """``{(enterprise, type): [(person, expires_on)]}``: who holds a certificate the type's
    template asks of its workers."""
    certs = ctx.session.exec(
        select(Certificate.enterprise_id, Certificate.person_id, Certificate.work_type,
               Certificate.expires_on)
        .where(Certificate.kind.in_(SPECIAL), Certificate.deleted_at.is_(None))
    ).all()  # fmt: skip
    out: dict[tuple, list] = defaultdict(list)
    for code, tpl in templates.items():
        accepted = [str(c) for c in tpl.worker_certificates or []]
        for ent, person, work_type, expires in certs:
            if accepted and matches(work_type, accepted):
                out[(ent, code)].append((person, expires))
    return out


def _crew(
    rng: random.Random, plant: _Plant, holders: list, day: date
) -> tuple[int | None, list[int]]:
    """(guardian, workers): certified workers where the template asks for a certificate and
    the plant has holders valid on the day, else any of its people; the guardian works not."""
    valid = sorted({p for p, exp in holders if exp is None or exp >= day})
    if valid:
        workers = rng.sample(valid, k=min(len(valid), rng.randint(1, 3)))
    else:
        workers = rng.sample(plant.people, k=min(len(plant.people), rng.randint(1, 4)))
    others = [p for p in plant.people if p not in workers]
    return (rng.choice(others) if others else None), workers


def generate(ctx: DemoContext) -> None:
    session, rng = ctx.session, ctx.rng
    types = {t.code: t for t in session.exec(select(PermitType).order_by(PermitType.code))}
    if not types:
        return  # reference lists not loaded: nothing to hang permits on
    grades: dict[str, list[PermitGrade]] = defaultdict(list)
    for g in session.exec(select(PermitGrade).order_by(PermitGrade.code)):
        grades[g.type_code].append(g)
    templates = {c: t for c in types if (t := template_for(session, c)) is not None}
    limits: dict[str, list[GasLimit]] = defaultdict(list)
    for lim in session.exec(select(GasLimit).order_by(GasLimit.code)):
        limits[lim.type_code].append(lim)

    main = ctx.main
    fallback = next((u.id for u in ctx.users if Role.SAFETY_MANAGER in u.roles), None)
    plants = {e.id: _Plant(ctx, e.id, fallback) for e in ctx.enterprises}
    others = [e.id for e in ctx.enterprises if e.id != main.id and plants[e.id].departments]
    codes = [c for c in TYPE_MIX if c in types and grades.get(c)]
    days, cum = _weighted_days(ctx)
    spots = _spots(ctx.areas)
    holders = _holders(ctx, templates)
    person_names = {p.id: p.name for p in ctx.people}
    user_names = {u.id: u.display_name or u.username for u in ctx.users}
    user_of = {u.person_id: u.id for u in ctx.users if u.person_id is not None}
    guardians = {pid: (user_of.get(pid), name) for pid, name in person_names.items()}

    total = PER_YEAR * 3 * ctx.factor
    n_today, n_tomorrow = 6 * ctx.factor, 3 * ctx.factor
    history = sorted(rng.choices(days, cum_weights=cum, k=total - n_today - n_tomorrow))
    plan = [(d, None) for d in history]
    plan += [(ctx.today, TODAY_STATES[i % len(TODAY_STATES)]) for i in range(n_today)]
    tomorrow = ctx.today + timedelta(days=1)
    plan += [(tomorrow, TOMORROW_STATES[i % len(TOMORROW_STATES)]) for i in range(n_tomorrow)]

    today_start = datetime.combine(ctx.today, time(0)).replace(tzinfo=PLANT_TZ).astimezone(UTC)
    seq: dict[tuple[str, date], int] = defaultdict(int)
    rows: list[dict[str, Any]] = []
    crews: list[Crew] = []
    for n, (day, forced) in enumerate(plan):
        on_main = forced is not None or not others or rng.random() < MAIN_SHARE
        plant = plants[main.id if on_main else rng.choice(others)]
        code = rng.choices(codes, weights=[TYPE_MIX[c] for c in codes])[0]
        grade = _pick(rng, grades[code])
        template = templates.get(code)
        local = datetime.combine(day, time(rng.choice(START_HOURS), rng.choice((0, 0, 15, 30, 45))))
        start = local.replace(tzinfo=PLANT_TZ).astimezone(UTC)
        end = start + timedelta(hours=_hours(rng, code, grade))
        seq[(code, day)] += 1
        area = rng.choice(plant.areas) if plant.areas else None
        x, y = None, None
        if area is not None and area.id in spots:
            outline, inset = spots[area.id]
            x, y = spot(outline, n, inset_box=inset)
        state = forced or _history_state(rng)
        if forced is None and state == PermitState.CLOSED and end > today_start:
            state = PermitState.IN_PROGRESS  # a long permit (临时用电) still inside its window
        applicant = rng.choice(plant.users) if plant.users else plant.owner
        guardian, workers = _crew(rng, plant, holders.get((plant.id, code), []), day)
        equipment = rng.choice(EQUIPMENT)
        content = rng.choice(CONTENT[code]).format(e=equipment)
        jsa = JSA.get(code, DEFAULT_JSA)
        row = {
            "number": permit_number(code, day, seq[(code, day)]),
            "permit_type_id": types[code].id,
            "grade_id": grade.id,
            "template_id": template.id if template else None,
            "enterprise_id": plant.id,
            "department_id": (area.department_id if area and area.department_id else None)
            or (rng.choice(plant.departments) if plant.departments else None),
            "area_id": area.id if area else None,
            "location": f"{area.name if area else equipment}{rng.choice(SPOTS)}",
            "x": x,
            "y": y,
            "planned_start": start,
            "planned_end": end,
            "content": content,
            "applicant_id": applicant,
            "guardian_id": guardian,
            "workers": workers,
            "jsa": [{"step": s, "hazard": h, "measure": m} for s, h, m in jsa],
            "form_values": form_values(rng, template, grade, equipment),
            "state": state,
            "cancel_reason": rng.choice(CANCEL_REASONS) if state == PermitState.CANCELLED else None,
            "suspend_reason": rng.choice(SUSPEND_REASONS)
            if state == PermitState.SUSPENDED
            else None,
            "created_by": applicant if on_main else plant.owner,
        }
        if state in STARTED:
            _started(rng, row, template, guardians.get(guardian, (None, "")), content, jsa)
        rows.append(row)
        crews.append(Crew(code, grade, template, plant.people, plant.signers))
    ids = ctx.bulk(Permit, rows)
    ctx.bulk(PermitGasReading, readings(rng, ids, rows, crews, limits))
    signed = signatures(rng, ids, rows, crews, user_names, guardians)
    ctx.bulk(PermitSignature, signed)
    # state histories for the last year only: they double the S runtime if kept for all three
    recent = [i for i, r in enumerate(rows) if r["planned_start"].date() >= ctx.today - HISTORY]
    keep = {ids[i] for i in recent}
    by_permit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for sig in signed:
        if sig["permit_id"] in keep:
            by_permit[sig["permit_id"]].append(sig)
    ctx.bulk(WorkflowEvent, events([ids[i] for i in recent], [rows[i] for i in recent], by_permit))


def _started(
    rng: random.Random,
    row: dict[str, Any],
    template: PermitTemplate | None,
    guardian: tuple[int | None, str],
    content: str,
    jsa: tuple,
) -> None:
    """What a started permit carries: measures ticked by the guardian, the briefing signed by
    the crew, the start, and for finished ones the completion and close-out."""
    start, end = row["planned_start"], row["planned_end"]
    ticked = (start - timedelta(minutes=rng.randint(25, 40))).isoformat()
    stamp = {"by": guardian[0], "name": guardian[1], "at": ticked}
    row["measures_checked"] = {str(c): stamp for c in (template.measure_codes if template else [])}
    row["briefing_content"] = f"{content}: " + "; ".join(f"{h}, {m}" for _, h, m in jsa)
    row["briefing_by"] = row["applicant_id"]
    row["briefed_at"] = start - timedelta(minutes=rng.randint(10, 20))
    row["briefing_signed"] = list(row["workers"])
    row["started_at"] = start + timedelta(minutes=rng.randint(0, 15))
    if row["state"] in (PermitState.COMPLETED, PermitState.CLOSED):
        span = (end - row["started_at"]).total_seconds()
        row["completed_at"] = row["started_at"] + timedelta(seconds=span * rng.uniform(0.6, 0.95))
    if row["state"] == PermitState.CLOSED:
        row["closed_at"] = row["completed_at"] + timedelta(minutes=rng.randint(5, 40))


FIELD_VALUES = {
    "hot_work_method": ("电焊", "气割", "气焊", "砂轮切割", "电钻打孔"),
    "medium": ("天然气", "氢气", "液化石油气", "柴油", "氮气(已置换)", "空气"),
    "crane": ("25 t 汽车吊", "50 t 汽车吊", "3#行车", "履带吊"),
    "power_source": ("1#配电室 2#柜", "检修电源箱 EB-03", "临时配电箱 T-05"),
    "road": ("厂区东西主干道", "2#路", "南门通道", "北侧消防通道"),
    "detour": ("经3#路绕行", "经北侧道路绕行", "临时便道通行"),
}
NUMBER_RANGES = {
    "pressure_mpa": (0.0, 0.6),
    "voltage_v": (220, 380),
    "load_kw": (5, 60),
    "depth_m": (0.5, 3.0),
    "area_m2": (2, 40),
}
GRADED = {"m": "height_m", "t": "load_t"}  # the field a grade's bounds classify


def form_values(
    rng: random.Random, template: PermitTemplate | None, grade: PermitGrade, equipment: str
) -> dict[str, Any]:
    """Plausible values for the template's fields; a height or load inside the grade's
    bounds (GC grade 2: 5-15 m)."""
    out: dict[str, Any] = {}
    for item in template.form_fields if template else []:
        if not isinstance(item, dict):
            continue
        name, kind = str(item.get("name")), item.get("kind") or "text"
        if name == GRADED.get(grade.bound_unit or ""):
            high = grade.bound_max or (grade.bound_min or 0.0) * 1.5 or 10.0
            low = grade.bound_min or high * 0.05
            out[name] = round(rng.uniform(low, high - (high - low) * 0.02), 1)
        elif name in NUMBER_RANGES:
            low, high = NUMBER_RANGES[name]
            out[name] = (
                rng.choice((220, 380)) if name == "voltage_v" else round(rng.uniform(low, high), 1)
            )
        elif kind == "choice" and item.get("options"):
            out[name] = rng.choice([str(o) for o in item["options"]])
        elif name in FIELD_VALUES:
            out[name] = rng.choice(FIELD_VALUES[name])
        elif kind == "number":
            out[name] = round(rng.uniform(1, 10), 1)
        elif kind == "bool":
            out[name] = True
        elif name.endswith("_no"):
            out[name] = f"{name[:2].upper()}-{rng.randint(1, 199):03d}"
        else:
            out[name] = equipment
    return out


def _history_state(rng: random.Random) -> PermitState:
    r = rng.random()
    if r < 0.015:
        return PermitState.CANCELLED
    if r < 0.025:
        return PermitState.REJECTED
    return PermitState.CLOSED
