"""Demo contractors: company files, qualifications, contracts, workers, violations, evaluations.

Workers are master data and follow the seed plant's figures exactly at every scale (华东重型机械:
1,192 in plant, 7 restricted, 291 left, 2,005 not entered); contracts, violations and
evaluations are transactional and scale with ``ctx.factor``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from core.contractor.rules import rating_for
from core.demogen import DemoContext
from core.demogen.contractor_history import (
    ADMISSION_PATHS,
    VIOLATION_PATHS,
    admission_days,
    history,
    violation_days,
)
from models.contractor import (
    Contractor,
    ContractorEvaluation,
    ContractorKind,
    ContractorProject,
    ContractorQualification,
    ContractorState,
    ContractorTrade,
    ContractorViolation,
    ContractorViolationState,
    ContractorWorker,
    QualificationKind,
    WorkerStatus,
)
from models.workflow import WorkflowEvent

MAIN_WORKERS = {
    WorkerStatus.IN_PLANT: 1192,
    WorkerStatus.RESTRICTED: 7,
    WorkerStatus.LEFT: 291,
    WorkerStatus.NOT_ENTERED: 2005,
}
OTHER_WORKERS = 160  # per other enterprise
COMPANIES = {"main": 40, "other": 6}
PROJECTS_PER_YEAR = 60  # main plant, times ctx.factor; others a fifth
VIOLATIONS_PER_YEAR = 150  # main plant, times ctx.factor; others a fifth
#: States a violation of the last 30 days may still be in (core.contractor.flow reaches them all).
OPEN_VIOLATIONS = (
    ContractorViolationState.RECORDED,
    ContractorViolationState.NOTIFIED,
    ContractorViolationState.RECTIFIED,
    ContractorViolationState.APPEALED,
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"  # noqa: E501
_PREFIXES = "沪鑫华建申安恒通宏达海川中联东兴金桥浦江锦程瑞丰永盛长风天工新源鼎泰远洋百川众诚宝钢富力正阳嘉禾明辉安泰路通立信华泰盛世"  # noqa: E501
COMPANY_PREFIX = tuple(_PREFIXES[i : i + 2] for i in range(0, len(_PREFIXES), 2))
TOWNS = ("川沙", "张江", "金桥", "高桥", "惠南", "祝桥", "周浦", "康桥")
KIND_SUFFIX = {
    ContractorKind.CONSTRUCTION: "建筑工程有限公司",
    ContractorKind.INSTALLATION: "机电安装工程有限公司",
    ContractorKind.MAINTENANCE: "设备维修服务有限公司",
    ContractorKind.LOGISTICS: "物流运输有限公司",
    ContractorKind.CLEANING: "物业保洁服务有限公司",
    ContractorKind.SECURITY: "保安服务有限公司",
    ContractorKind.CATERING: "餐饮管理有限公司",
    ContractorKind.LABOUR: "劳务派遣有限公司",
    ContractorKind.SUPPLIER: "工业设备有限公司",
    ContractorKind.OTHER: "技术服务有限公司",
}
KIND_SHARE = {
    ContractorKind.CONSTRUCTION: 0.3,
    ContractorKind.MAINTENANCE: 0.22,
    ContractorKind.INSTALLATION: 0.15,
    ContractorKind.LOGISTICS: 0.1,
    ContractorKind.LABOUR: 0.08,
    ContractorKind.CLEANING: 0.05,
    ContractorKind.SUPPLIER: 0.04,
    ContractorKind.SECURITY: 0.03,
    ContractorKind.CATERING: 0.02,
    ContractorKind.OTHER: 0.01,
}
PROJECT_NAMES = (
    "厂房屋面防水维修", "铸造车间除尘系统改造", "行车轨道检修", "焊接车间通风改造",
    "空压站扩容安装",
    "消防管网改造", "配电室增容改造", "厂区道路修缮", "涂装线废气治理", "年度设备大修",
    "原料库钢结构加固", "厂区绿化养护", "物流仓储外包", "食堂餐饮服务", "门卫安保服务",
)  # fmt: skip
#: What contractor workers are caught doing, most frequent first (Pareto).
VIOLATIONS = (
    ("高处作业未系挂安全带", 3, 0.24),
    ("未正确佩戴安全帽", 1, 0.18),
    ("动火作业未办理作业票", 6, 0.12),
    ("作业现场吸烟", 3, 0.1),
    ("未穿戴劳动防护用品", 1, 0.09),
    ("无证从事特种作业", 6, 0.07),
    ("吊物下方站人或通过", 3, 0.06),
    ("临时用电私拉乱接", 3, 0.05),
    ("受限空间作业未检测气体即进入", 6, 0.04),
    ("擅自进入非作业区域", 1, 0.03),
    ("脚手架未经验收即使用", 3, 0.02),
)
SAFETY_TERMS = (
    "一、乙方须遵守甲方安全生产、消防、环保管理制度，服从甲方安全管理。\n"
    "二、乙方须配备专职安全管理人员，特种作业人员持证上岗。\n"
    "三、乙方人员须经甲方入厂安全培训考核合格、办理入厂证后方可进厂作业。\n"
    "四、动火、受限空间、高处、吊装等特殊作业须按 GB 30871 办理作业票。\n"
    "五、乙方须编制施工安全方案并报甲方审批，发生事故须立即报告。"
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
REGIONS = ("310115", "320102", "340104", "410105", "510107", "420106", "370102", "130102")


def chinese_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, today: date) -> str:
    """An 18-digit resident ID with a valid GB 11643 check digit (birth 20-58 years ago)."""
    born = today - timedelta(days=rng.randint(20 * 365, 58 * 365))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _owner(ctx: DemoContext, enterprise_id: int) -> int | None:
    """The safety manager of the enterprise where there is one, else any of its users."""
    mine = [u for u in ctx.users if u.enterprise_id == enterprise_id]
    chosen = next((u for u in mine if "safety_manager" in u.roles), None) or (
        mine[0] if mine else next(u for u in ctx.users if "admin" in u.roles)
    )
    return chosen.id


def _safety_department(ctx: DemoContext, enterprise_id: int) -> int | None:
    deps = ctx.departments_of(enterprise_id)
    return next((d.id for d in deps if "安全" in d.name), deps[0].id if deps else None)


def _companies(ctx: DemoContext) -> list[dict[str, Any]]:
    """Company files; each carries a hidden ``quality`` (mean evaluation score) for the demo."""
    rng, rows, n = ctx.rng, [], 0
    kinds, shares = list(KIND_SHARE), list(KIND_SHARE.values())
    for ent in ctx.enterprises:
        count = COMPANIES["main" if ent.id == ctx.main.id else "other"]
        dept, owner = _safety_department(ctx, ent.id), _owner(ctx, ent.id)
        for i in range(count):
            n += 1
            kind = rng.choices(kinds, shares)[0]
            state = ContractorState.ADMITTED
            if i in (3, 17):
                state = ContractorState.BLACKLISTED
            elif i in (8, 25):
                state = ContractorState.SUSPENDED
            elif i == count - 1:
                state = ContractorState.REVIEWING
            elif i == count - 2:
                state = ContractorState.APPLIED
            elif i == 30:
                state = ContractorState.REJECTED
            quality = rng.gauss(84, 6)
            if state in (ContractorState.BLACKLISTED, ContractorState.SUSPENDED):
                quality = rng.uniform(45, 62)
            admitted = state not in (
                ContractorState.APPLIED,
                ContractorState.REVIEWING,
                ContractorState.REJECTED,
            )
            rows.append(
                {
                    "name": f"上海{COMPANY_PREFIX[n % len(COMPANY_PREFIX)]}{KIND_SUFFIX[kind]}"
                    + ("" if n <= len(COMPANY_PREFIX) else f"（{n // len(COMPANY_PREFIX)}分公司）"),
                    "credit_code": f"91310{rng.randint(100, 120)}MA{rng.randint(10**7, 10**8 - 1)}",
                    "kind": kind,
                    "contact": chinese_name(rng),
                    "phone": f"13{rng.randint(10**8, 10**9 - 1)}",
                    "address": f"上海市浦东新区{rng.choice(TOWNS)}镇{rng.randint(1, 999)}号",
                    "safety_rating": rating_for(quality) if admitted else None,
                    "blacklisted": state == ContractorState.BLACKLISTED,
                    "state": state,
                    "admitted_on": ctx.today - timedelta(days=rng.randint(200, 2000))
                    if admitted
                    else None,
                    "remarks": "多次严重违章，列入黑名单"
                    if state == ContractorState.BLACKLISTED
                    else None,
                    "enterprise_id": ent.id,
                    "department_id": dept,
                    "created_by": owner,
                    "quality": quality,
                }
            )
    return rows


def _qualifications(ctx: DemoContext, companies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng, today, rows = ctx.rng, ctx.today, []
    docs = (
        (QualificationKind.BUSINESS_LICENCE, "营业执照", "市场监督管理局", None),
        (QualificationKind.SAFETY_LICENCE, "安全生产许可证", "住房和城乡建设委员会", 3),
        (QualificationKind.QUALIFICATION, "施工总承包资质证书", "住房和城乡建设委员会", 5),
        (QualificationKind.INSURANCE, "安全生产责任保险保单", "中国人民财产保险", 1),
        (QualificationKind.SAFETY_AGREEMENT, "安全生产管理协议", "甲乙双方", 1),
    )
    for c in companies:
        for kind, title, issuer, years in docs:
            issued = today - timedelta(days=rng.randint(30, 365 * (years or 5)))
            expires = issued + timedelta(days=365 * years) if years else None
            if expires and rng.random() < 0.08:  # an expired document somebody must chase
                expires = today - timedelta(days=rng.randint(1, 90))
            rows.append(
                {
                    "contractor_id": c["id"],
                    "kind": kind,
                    "title": title,
                    "number": f"{kind[:2].upper()}{rng.randint(10**9, 10**10 - 1)}",
                    "issuer": issuer,
                    "issued_on": issued,
                    "expires_on": expires,
                    **_scope(c),
                }
            )
    return rows


def _scope(company: dict[str, Any]) -> dict[str, Any]:
    return {k: company[k] for k in ("enterprise_id", "department_id", "created_by")}


def _weighted(ctx: DemoContext, companies: list[dict[str, Any]]) -> list[float]:
    """Pareto: a few large contractors do most of the work (and most of the violations)."""
    return [1 / (i + 1) ** 0.9 for i in range(len(companies))]


def _projects(ctx: DemoContext, companies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rng, today, rows = ctx.rng, ctx.today, []
    for ent in ctx.enterprises:
        mine = [c for c in companies if c["enterprise_id"] == ent.id and c["admitted_on"]]
        per_year = PROJECTS_PER_YEAR * ctx.factor // (1 if ent.id == ctx.main.id else 5)
        weights = _weighted(ctx, mine)
        areas = [a.id for a in ctx.areas_of(ent.id)] or [None]
        for _ in range(per_year * 3):
            c = rng.choices(mine, weights)[0]
            start = today - timedelta(days=rng.randint(0, 3 * 365))
            end = start + timedelta(days=rng.randint(7, 240))
            rows.append(
                {
                    "contractor_id": c["id"],
                    "name": rng.choice(PROJECT_NAMES),
                    "contract_no": f"HT-{start:%Y}-{len(rows) + 1:05d}",
                    "area_id": rng.choice(areas),
                    "start_on": start,
                    "end_on": end,
                    "safety_terms": SAFETY_TERMS,
                    "safety_officer": chinese_name(rng),
                    **_scope(c),
                }
            )
    return rows


def _worker(
    ctx: DemoContext, company: dict[str, Any], trade: tuple[int, bool], status: WorkerStatus, n: int
) -> dict[str, Any]:
    rng, today = ctx.rng, ctx.today
    trade_id, special = trade
    row: dict[str, Any] = {
        "contractor_id": company["id"],
        "name": chinese_name(rng),
        "id_number": id_number(rng, today),
        "phone": f"1{rng.choice('3589')}{rng.randint(10**8, 10**9 - 1)}",
        "trade_id": trade_id,
        "status": status,
        "cert_no": None,
        "cert_expires_on": None,
        "training_passed_on": None,
        "pass_no": None,
        "pass_expires_on": None,
        "insurance_expires_on": today + timedelta(days=rng.randint(-60, 365)),
        "medical_expires_on": today + timedelta(days=rng.randint(-30, 365)),
        **_scope(company),
    }
    if special:
        row["cert_no"] = f"T{id_number(rng, today)}"
        row["cert_expires_on"] = today + timedelta(days=rng.randint(-40, 6 * 365))
    on_site = status in (WorkerStatus.IN_PLANT, WorkerStatus.RESTRICTED)
    if on_site or status == WorkerStatus.LEFT or rng.random() < 0.1:
        passed = today - timedelta(days=rng.randint(1, 360))
        row["training_passed_on"] = passed
        row["pass_no"] = f"RC{passed:%Y}{n:06d}"
        row["pass_expires_on"] = passed + timedelta(days=365)
    if (
        on_site
    ):  # a worker on site holds an unexpired pass (see core.contractor.rules.entry_problems)
        row["pass_expires_on"] = max(
            row["pass_expires_on"], today + timedelta(days=rng.randint(3, 60))
        )
        row["insurance_expires_on"] = today + timedelta(days=rng.randint(20, 365))
    if status == WorkerStatus.RESTRICTED:  # why: an expired medical report or certificate
        row["medical_expires_on"] = today - timedelta(days=rng.randint(1, 30))
    return row


def _workers(
    ctx: DemoContext, companies: list[dict[str, Any]], trades: list[tuple[int, bool]]
) -> list[dict[str, Any]]:
    rng, rows = ctx.rng, []
    trade_weights = [1 / (i + 1) ** 0.7 for i in range(len(trades))]
    for ent in ctx.enterprises:
        mine = [c for c in companies if c["enterprise_id"] == ent.id and c["admitted_on"]]
        weights = _weighted(ctx, mine)
        if ent.id == ctx.main.id:
            statuses = [s for s, k in MAIN_WORKERS.items() for _ in range(k)]
        else:
            statuses = rng.choices(list(MAIN_WORKERS), list(MAIN_WORKERS.values()), k=OTHER_WORKERS)
        rng.shuffle(statuses)
        usable = [c for c in mine if c["state"] == ContractorState.ADMITTED]
        for status in statuses:
            pool, w = (usable, None) if status != WorkerStatus.LEFT else (mine, weights)
            company = rng.choices(pool, w or [1 / (i + 1) ** 0.9 for i in range(len(pool))])[0]
            trade = rng.choices(trades, trade_weights)[0]
            rows.append(_worker(ctx, company, trade, status, len(rows) + 1))
    return rows


def _season(day: date) -> float:
    """Most contractor work (and violations) in the spring and autumn overhaul seasons."""
    return {3: 1.3, 4: 1.5, 5: 1.3, 9: 1.3, 10: 1.5, 11: 1.2, 1: 0.6, 2: 0.4}.get(day.month, 1.0)


def _violations(
    ctx: DemoContext, companies: list[dict[str, Any]], workers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rng, today, rows = ctx.rng, ctx.today, []
    days = ctx.days_back()
    day_weights = [_season(d) for d in days]
    texts, points, shares = zip(*VIOLATIONS, strict=True)
    by_company: dict[int, list[int]] = {}
    for w in workers:
        by_company.setdefault(w["contractor_id"], []).append(w["id"])
    for ent in ctx.enterprises:
        mine = [c for c in companies if c["enterprise_id"] == ent.id and c["admitted_on"]]
        # worse contractors break more rules
        weights = [(100 - c["quality"]) ** 1.5 for c in mine]
        per_year = VIOLATIONS_PER_YEAR * ctx.factor // (1 if ent.id == ctx.main.id else 5)
        picked = rng.choices(days, day_weights, k=per_year * 3)
        repeaters: list[tuple[int, int | None]] = []
        for day in sorted(picked):
            if repeaters and rng.random() < 0.08:  # the same worker caught again
                company_id, worker_id = rng.choice(repeaters)
                c = next(x for x in mine if x["id"] == company_id)
            else:
                c = rng.choices(mine, weights)[0]
                crew = by_company.get(c["id"]) or [None]
                worker_id = rng.choice(crew) if rng.random() < 0.85 else None
                repeaters.append((c["id"], worker_id))
            i = rng.choices(range(len(texts)), shares)[0]
            age = (today - day).days
            state = ContractorViolationState.CLOSED if age > 30 else rng.choice(OPEN_VIOLATIONS)
            if age > 30 and rng.random() < 0.03:
                state = ContractorViolationState.REVOKED
            rows.append(
                {
                    "contractor_id": c["id"],
                    "worker_id": worker_id,
                    "occurred_on": day,
                    "description": texts[i],
                    "points": points[i],
                    "fine": float(points[i] * rng.choice((100, 200, 500)))
                    if points[i] >= 3
                    else None,
                    "state": state,
                    **_scope(c),
                }
            )
    return rows


def _evaluations(
    ctx: DemoContext, projects: list[dict[str, Any]], companies: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A completion evaluation for every finished contract."""
    rng, today, rows = ctx.rng, ctx.today, []
    quality = {c["id"]: c["quality"] for c in companies}
    for p in projects:
        if p["end_on"] > today:
            continue
        score = round(min(100.0, max(30.0, rng.gauss(quality[p["contractor_id"]], 5))), 1)
        rows.append(
            {
                "contractor_id": p["contractor_id"],
                "period": f"{p['end_on']:%Y}-{'H1' if p['end_on'].month <= 6 else 'H2'}",
                "evaluated_on": min(today, p["end_on"] + timedelta(days=rng.randint(1, 15))),
                "score": score,
                "rating": rating_for(score),
                "comments": f"{p['name']}（{p['contract_no']}）完工评价",
                **{k: p[k] for k in ("enterprise_id", "department_id", "created_by")},
            }
        )
    return rows


def generate(ctx: DemoContext) -> dict[str, int]:
    trades = [
        (t.id, t.special_operation)
        for t in ctx.session.exec(select(ContractorTrade).order_by(ContractorTrade.code))
    ]
    companies = _companies(ctx)
    ids = ctx.bulk(Contractor, [{k: v for k, v in c.items() if k != "quality"} for c in companies])
    for c, new_id in zip(companies, ids, strict=True):
        c["id"] = new_id
    ctx.bulk(ContractorQualification, _qualifications(ctx, companies))
    projects = _projects(ctx, companies)
    ctx.bulk(ContractorProject, projects)
    workers = list(_workers(ctx, companies, trades or [(None, False)]))
    for w, new_id in zip(workers, ctx.bulk(ContractorWorker, workers), strict=True):
        w["id"] = new_id
    violations = _violations(ctx, companies, workers)
    for v, new_id in zip(violations, ctx.bulk(ContractorViolation, violations), strict=True):
        v["id"] = new_id
    ctx.bulk(ContractorEvaluation, _evaluations(ctx, projects, companies))
    ctx.bulk(WorkflowEvent, history(ctx, "contractor", ADMISSION_PATHS, admission_days, companies))
    ctx.bulk(
        WorkflowEvent,
        history(ctx, "contractor_violation", VIOLATION_PATHS, violation_days, violations),
    )
    return ctx.counts
