"""Emergency demo data: plans and versions, teams, the supplies ledger whose figures follow the
seed plant (2,180 fixed + 508 portable gas detectors, 2 expired), ten drills a year, response
checklists and external contacts. Current plans, checklists and contacts are published (the
whole enterprise reads them); the seed plant keeps one draft plan and one superseded plan."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import select

from core.demogen import DemoContext
from core.emergency.rules import drill_state, next_drill_due, review_due, stock_status
from models.emergency import (
    EmergencyPlan,
    EmergencyPlanKind,
    EmergencyPlanState,
    EmergencyPlanVersion,
    EmergencyTeam,
    EmergencyTeamKind,
    EmergencyTeamMember,
    ExternalContact,
    ExternalContactKind,
    ResponseChecklist,
)
from models.emergency_drill import Drill, DrillForm, DrillLevel, DrillState
from models.emergency_supply import EmergencySupply, EmergencySupplyCategory
from models.enums import DocumentState
from models.reference import AccidentType

# Seed plant's ledger (per S): records by category, and 2 of them expired.
MAIN_SUPPLIES = {"固定式报警仪": 2180, "便携式报警仪": 508}
MAIN_EXPIRED = 2
# The seed's other tiles are item totals; they sit as a few rows at the other enterprises.
OTHER_TOTALS = {
    "空气呼吸器": 261,
    "担架": 77,
    "急救箱": 118,
    "自动苏生器": 9,
    "充填泵": 8,
    "氧气瓶": 101,
}
TEAM_NAMES = {
    EmergencyTeamKind.LEADERSHIP: "应急指挥部",
    EmergencyTeamKind.RESCUE: "抢险救援队",
    EmergencyTeamKind.FIREFIGHTING: "义务消防队",
    EmergencyTeamKind.MEDICAL: "医疗救护组",
    EmergencyTeamKind.EVACUATION: "疏散警戒组",
    EmergencyTeamKind.COMMUNICATION: "通讯联络组",
    EmergencyTeamKind.LOGISTICS: "后勤保障组",
}
DRILLS_PER_YEAR = 10
THIS_YEAR_HELD, THIS_YEAR_SCHEMES, THIS_YEAR_PARTICIPANTS = 4, 6, 144

SPECIAL_PLANS = (
    "火灾",
    "触电",
    "起重伤害",
    "机械伤害",
    "中毒和窒息",
    "高处坠落",
    "灼烫",
    "容器爆炸",
)
ON_SITE_PLANS = (
    ("铸造车间钢水泄漏现场处置方案", "灼烫"),
    ("煤气区域中毒窒息现场处置方案", "中毒和窒息"),
    ("行车吊物坠落现场处置方案", "起重伤害"),
    ("配电室触电现场处置方案", "触电"),
    ("有限空间作业现场处置方案", "中毒和窒息"),
    ("危化品库泄漏现场处置方案", "其它爆炸"),
)
DETECTOR_MODELS = ("BTE1100", "GTYQ-BS01", "HBS03", "GT-2000", "ES2000T", "123-34")
PORTABLE_MODELS = ("ASK-450-4", "MX4", "BW GasAlert", "PGM-2400", "便携式四合一")
DETECTOR_GASES = ("可燃气体", "一氧化碳", "硫化氢", "氧气", "氨气")
STEPS = {
    "火灾": [
        ("立即报警(119)并报告值班长", "发现人"),
        ("切断电源、气源，启动消防设施", "岗位人员"),
        ("组织疏散，清点人数", "疏散警戒组"),
        ("初期火灾扑救，设置警戒区", "消防灭火组"),
        ("上报公司应急指挥部", "值班长"),
    ],
    "触电": [
        ("立即切断电源或用绝缘物使触电者脱离电源", "发现人"),
        ("判断意识和呼吸，必要时心肺复苏", "医疗救护组"),
        ("拨打120并报告值班长", "岗位人员"),
        ("保护现场，配合调查", "安全管理部"),
    ],
    "起重伤害": [
        ("立即停止起重作业，切断行车电源", "司机"),
        ("设置警戒区，禁止无关人员进入", "疏散警戒组"),
        ("救出受伤人员，止血包扎", "医疗救护组"),
        ("拨打120并上报", "值班长"),
    ],
    "中毒和窒息": [
        ("严禁盲目施救，佩戴空气呼吸器后进入", "抢险救援组"),
        ("检测气体浓度，强制通风", "岗位人员"),
        ("将中毒者移至上风向空气新鲜处", "抢险救援组"),
        ("心肺复苏并拨打120", "医疗救护组"),
        ("上报应急管理部门", "应急指挥部"),
    ],
}


def _split(rng: Any, total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` positive integers (deterministic with ``rng``)."""
    if parts <= 0:
        return []
    cuts = sorted(rng.sample(range(1, total), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, total]
    return [b - a for a, b in pairwise(edges)]


def _scope(ctx: DemoContext, enterprise_id: int, user: int | None) -> dict[str, Any]:
    depts = ctx.departments_of(enterprise_id)
    return {
        "enterprise_id": enterprise_id,
        "department_id": depts[0].id if depts else None,
        "created_by": user,
    }


def _plans(ctx: DemoContext, types: dict[str, int], user: int | None) -> dict[int, list[tuple]]:
    """~15 plans at the main plant, 5 at each other; returns (id, type name, kind) per firm."""
    out: dict[int, list[tuple]] = {}
    for ent in ctx.enterprises:
        main = ent.id == ctx.main.id
        specs = [("生产安全事故综合应急预案", None, EmergencyPlanKind.COMPREHENSIVE)]
        specials = SPECIAL_PLANS if main else SPECIAL_PLANS[:2]
        specs += [(f"{t}事故专项应急预案", t, EmergencyPlanKind.SPECIAL) for t in specials]
        sites = ON_SITE_PLANS if main else ON_SITE_PLANS[:2]
        specs += [(n, t, EmergencyPlanKind.ON_SITE) for n, t in sites]
        rows, versions = [], []
        for i, (name, tname, kind) in enumerate(specs):
            effective = ctx.today - timedelta(days=ctx.rng.randint(120, 1400))
            state = EmergencyPlanState.PUBLISHED
            n_versions = ctx.rng.choice((1, 2, 2, 3))
            if main and i == len(specs) - 1:
                state, n_versions = EmergencyPlanState.DRAFT, 0  # never approved: no version
            elif main and i == 3:
                state = EmergencyPlanState.SUPERSEDED
            rows.append(
                _scope(ctx, ent.id, user)
                | {
                    "name": name,
                    "code": f"{ent.code[-4:]}-YA-{i + 1:02d}",
                    "kind": kind,
                    "accident_type_id": types.get(tname or ""),
                    "version": f"V{n_versions}.0" if n_versions else None,
                    "effective_on": effective,
                    "review_due": review_due(effective),
                    "filed_with": "区应急管理局" if kind != EmergencyPlanKind.ON_SITE else None,
                    "state": state,
                }
            )
            versions.append((n_versions, effective))
        ids = ctx.bulk(EmergencyPlan, rows)
        ctx.bulk(
            EmergencyPlanVersion,
            (
                _scope(ctx, ent.id, user)
                | {
                    "plan_id": pid,
                    "version": f"V{v}.0",
                    "change_summary": "首次发布"
                    if v == 1
                    else ctx.rng.choice(
                        (
                            "组织机构调整，更新应急队伍及联系方式",
                            "根据演练评估修订处置程序",
                            "按 GB/T 29639-2020 修订",
                            "新增危险源，补充处置措施",
                        )
                    ),
                    "approved_by": "总经理",
                    "approved_at": ctx.moment(effective - timedelta(days=365 * (n - v))),
                }
                for pid, (n, effective) in zip(ids, versions, strict=True)
                for v in range(1, n + 1)
            ),
        )
        out[ent.id] = [
            (pid, s[1], s[2], effective)
            for pid, s, (_, effective) in zip(ids, specs, versions, strict=True)
        ]
    return out


def _teams(ctx: DemoContext, user: int | None) -> None:
    for ent in ctx.enterprises:
        kinds = list(EmergencyTeamKind) if ent.id == ctx.main.id else list(EmergencyTeamKind)[:3]
        people = ctx.people_of(ent.id)
        leaders = ctx.rng.sample(people, len(kinds))
        ids = ctx.bulk(
            EmergencyTeam,
            [
                _scope(ctx, ent.id, user)
                | {
                    "name": TEAM_NAMES[k],
                    "kind": k,
                    "leader": p.name,
                    "phone": p.phone,
                    "duties": None,
                }
                for k, p in zip(kinds, leaders, strict=True)
            ],
        )
        members = []
        for tid in ids:
            for p in ctx.rng.sample(people, min(len(people), ctx.rng.randint(4, 8))):
                members.append(
                    _scope(ctx, ent.id, user)
                    | {
                        "team_id": tid,
                        "person_id": p.id,
                        "phone": p.phone,
                        "duty": "组长" if not members or members[-1]["team_id"] != tid else "组员",
                    }
                )
        ctx.bulk(EmergencyTeamMember, members)


def _supplies(ctx: DemoContext, cats: dict[str, EmergencySupplyCategory], user: int | None) -> None:
    rng, main = ctx.rng, ctx.main
    areas = ctx.areas_of(main.id) or [None]
    posts = [p.name for p in ctx.posts if p.enterprise_id == main.id] or ["厂区内外"]
    rows: list[dict[str, Any]] = []
    for cname, n in MAIN_SUPPLIES.items():
        cat = cats.get(cname)
        fixed = cname == "固定式报警仪"
        for _ in range(n * ctx.factor):
            area = rng.choice(areas)
            inspected = ctx.today - timedelta(days=rng.randint(0, 120))
            expires = ctx.today + timedelta(days=rng.randint(200, 2500))
            rows.append(
                {
                    "enterprise_id": main.id,
                    "department_id": area.department_id if area else None,
                    "created_by": user,
                    "category_id": cat.id if cat else None,
                    "name": f"{rng.choice(DETECTOR_GASES)}{'检测报警仪' if fixed else '检测仪'}",
                    "specification": rng.choice(DETECTOR_MODELS if fixed else PORTABLE_MODELS),
                    "area_id": area.id if area else None,
                    "location": rng.choice(posts),
                    "quantity": 1,
                    "min_stock": 0,
                    "unit": "台",
                    "keeper": None,
                    "expires_on": expires,
                    "last_inspected_on": inspected,
                    "next_inspection_on": inspected
                    + timedelta(days=(cat.inspection_days or 90) if cat else 90),
                }
            )
    for row in rng.sample(rows, MAIN_EXPIRED * ctx.factor):
        row["expires_on"] = ctx.today - timedelta(days=rng.randint(5, 60))
    others = [e for e in ctx.enterprises if e.id != main.id]
    for cname, total in OTHER_TOTALS.items():
        cat = cats.get(cname)
        parts = _split(rng, total * ctx.factor, min(total, 4 * ctx.factor))
        for i, qty in enumerate(parts):
            ent = others[i % len(others)] if others else main
            area = rng.choice(ctx.areas_of(ent.id) or [None])
            inspected = ctx.today - timedelta(days=rng.randint(0, 60))
            rows.append(
                {
                    "enterprise_id": ent.id,
                    "department_id": area.department_id if area else None,
                    "created_by": user,
                    "category_id": cat.id if cat else None,
                    "name": cname,
                    "specification": None,
                    "area_id": area.id if area else None,
                    "location": area.name if area else None,
                    "quantity": qty,
                    "min_stock": qty + 2 if i == 0 and cname == "急救箱" else max(1, qty // 4),
                    "unit": cat.unit if cat else "个",
                    "keeper": None,
                    "expires_on": ctx.today + timedelta(days=rng.randint(90, 1500)),
                    "last_inspected_on": inspected,
                    "next_inspection_on": inspected + timedelta(days=30),
                }
            )
    for row in rows:
        row["status"] = stock_status(row["quantity"], row["min_stock"])
    ctx.bulk(EmergencySupply, rows)


def _drill_row(
    ctx: DemoContext,
    ent_id: int,
    plan: tuple,
    planned: date,
    held: bool,
    stage: int,
    people: int,
    user: int | None,
) -> dict[str, Any]:
    """A drill that reached ``stage`` (0 planned … 4 evaluated)."""
    scheme = planned - timedelta(days=ctx.rng.randint(7, 20)) if stage >= 1 else None
    trained = planned - timedelta(days=ctx.rng.randint(1, 5)) if stage >= 2 else None
    held_on = planned if stage >= 3 else None
    evaluated = planned + timedelta(days=ctx.rng.randint(1, 7)) if stage >= 4 else None
    _, tname, kind, _ = plan
    name = f"{tname or '生产安全'}事故{'综合' if tname is None else ''}应急救援演练"
    return _scope(ctx, ent_id, user) | {
        "plan_id": plan[0],
        "name": name,
        "level": ctx.rng.choice((DrillLevel.COMPANY, DrillLevel.COMPANY, DrillLevel.PLANT)),
        "form": DrillForm.TABLETOP if kind == EmergencyPlanKind.COMPREHENSIVE else DrillForm.LIVE,
        "location": None,
        "planned_on": planned,
        "scheme_done_on": scheme,
        "trained_on": trained,
        "trainees": people if trained else None,
        "held_on": held_on,
        "participants": people if held_on else None,
        "evaluated_on": evaluated,
        "evaluation": "演练达到预期目的，响应及时；通讯联络需加强，已列入整改。"
        if evaluated
        else None,
        "state": drill_state(
            scheme_done_on=scheme, trained_on=trained, held_on=held_on, evaluated_on=evaluated
        ),
    }


def _drills(ctx: DemoContext, plans: dict[int, list[tuple]], user: int | None) -> None:
    rng, year = ctx.rng, ctx.today.year
    start, end = date(year, 1, 1), date(year, 12, 31)
    rows = []
    for ent in ctx.enterprises:
        main = ent.id == ctx.main.id
        per_year = (DRILLS_PER_YEAR if main else 2) * ctx.factor
        for y in (year - 2, year - 1):
            for _ in range(per_year):
                day = date(y, 1, 1) + timedelta(days=rng.randint(0, 364))
                rows.append(
                    _drill_row(
                        ctx,
                        ent.id,
                        rng.choice(plans[ent.id]),
                        day,
                        True,
                        4,
                        rng.randint(10, 120),
                        user,
                    )
                )
        held = THIS_YEAR_HELD * ctx.factor if main else per_year
        schemes = THIS_YEAR_SCHEMES * ctx.factor if main else per_year
        counts = (
            _split(rng, THIS_YEAR_PARTICIPANTS * ctx.factor, held)
            if main
            else [rng.randint(10, 60) for _ in range(held)]
        )
        for i in range(per_year):
            done = i < held
            lo, hi = (start, ctx.today) if done else (min(ctx.today + timedelta(days=1), end), end)
            day = lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))
            stage = 3 if done else (1 if i < schemes else 0)
            rows.append(
                _drill_row(
                    ctx,
                    ent.id,
                    rng.choice(plans[ent.id]),
                    day,
                    done,
                    stage,
                    counts[i] if done else 0,
                    user,
                )
            )
    ctx.bulk(Drill, rows)
    _drill_due(ctx, plans, rows)


def _drill_due(ctx: DemoContext, plans: dict[int, list[tuple]], drills: list[dict]) -> None:
    """Each plan's next statutory drill, counted from its last drill held (or its start)."""
    last: dict[int, date] = {}
    for d in drills:
        if d["state"] in (DrillState.HELD, DrillState.EVALUATED):
            last[d["plan_id"]] = max(d["held_on"], last.get(d["plan_id"], d["held_on"]))
    due = [
        {"pid": pid, "due": next_drill_due(kind, last.get(pid), effective)}
        for firm in plans.values()
        for pid, _, kind, effective in firm
    ]
    stmt = (
        update(EmergencyPlan)
        .where(EmergencyPlan.id == bindparam("pid"))
        .values(next_drill_due=bindparam("due"))
    )
    ctx.session.connection().execute(stmt, due)


def _checklists_and_contacts(ctx: DemoContext, types: dict[str, int], user: int | None) -> None:
    lists, contacts = [], []
    for ent in ctx.enterprises:
        for tname, steps in STEPS.items():
            lists.append(
                _scope(ctx, ent.id, user)
                | {
                    "name": f"{tname}事故应急处置卡",
                    "accident_type_id": types.get(tname),
                    "steps": [
                        {"order": i + 1, "action": a, "role": r} for i, (a, r) in enumerate(steps)
                    ],
                    "notes": "先自救、再报告；未佩戴防护装备不得盲目施救。",
                    "state": DocumentState.PUBLISHED,
                }
            )
        for name, kind, phone in (
            ("火警", ExternalContactKind.FIRE, "119"),
            ("急救中心", ExternalContactKind.AMBULANCE, "120"),
            ("公安报警", ExternalContactKind.POLICE, "110"),
            ("区应急管理局值班室", ExternalContactKind.AUTHORITY, "021-5881" + f"{ent.id:04d}"),
            ("园区医院急诊", ExternalContactKind.HOSPITAL, "021-6890" + f"{ent.id:04d}"),
            ("区生态环境局", ExternalContactKind.ENVIRONMENT, "12369"),
            ("供电抢修", ExternalContactKind.UTILITY, "95598"),
        ):
            contacts.append(
                _scope(ctx, ent.id, user)
                | {
                    "name": name,
                    "kind": kind,
                    "phone": phone,
                    "address": None,
                    "note": None,
                    "state": DocumentState.PUBLISHED,
                }
            )
    ctx.bulk(ResponseChecklist, lists)
    ctx.bulk(ExternalContact, contacts)


def generate(ctx: DemoContext) -> None:
    user = next((u.id for u in ctx.users if u.username == "safety_manager"), None)
    types = {t.name: t.id for t in ctx.session.exec(select(AccidentType))}
    cats = {c.name: c for c in ctx.session.exec(select(EmergencySupplyCategory))}
    plans = _plans(ctx, types, user)
    _teams(ctx, user)
    _supplies(ctx, cats, user)
    _drills(ctx, plans, user)
    _checklists_and_contacts(ctx, types, user)
