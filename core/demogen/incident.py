"""Incident demo data: three years of a Heinrich-like pyramid (per year at the main plant about
300 near misses : 29 minor-injury events : 1-2 accidents, times the scale factor), seasonal,
Pareto over accident types, mostly 一般 grade; investigations, causes and corrective actions
for the injury events, some of them overdue."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlmodel import select

from core.demogen import DemoContext
from core.demogen.incident_history import incident_events
from core.incident.rules import accident_grade, grade_rules, number_prefix
from models.incident import (
    Incident,
    IncidentCause,
    IncidentCauseCategory,
    IncidentInvestigation,
    IncidentKind,
    IncidentState,
)
from models.incident_action import CorrectiveAction, CorrectiveActionSource, CorrectiveActionState
from models.reference import AccidentType
from models.workflow import WorkflowEvent

PER_YEAR_MAIN = {IncidentKind.NEAR_MISS: 300, IncidentKind.MINOR: 29}
OTHER_SHARE = 5  # each other enterprise: a fifth of the main plant's counts
# Month weights: summer heat and the year-end rush up, Spring Festival down.
MONTH_WEIGHT = (1.1, 0.6, 0.9, 1.0, 1.0, 1.1, 1.4, 1.4, 1.0, 0.9, 1.0, 1.3)
TYPE_WEIGHT = {
    "机械伤害": 30,
    "物体打击": 20,
    "起重伤害": 15,
    "高处坠落": 10,
    "车辆伤害": 8,
    "触电": 5,
    "灼烫": 5,
    "其它伤害": 4,
    "中毒和窒息": 2,
    "火灾": 1,
}
NEAR_MISS = {
    "机械伤害": ("车床防护罩未关闭险些卷入衣袖", "设备检修未挂牌上锁险些误启动"),
    "物体打击": ("高处工具未系防坠绳险些坠落伤人", "堆垛工件倾倒险些砸伤"),
    "起重伤害": ("行车吊钩钢丝绳断股险些坠物", "吊装绑扎不牢吊物滑移"),
    "高处坠落": ("平台护栏松动险些坠落", "未系安全带登高作业被制止"),
    "车辆伤害": ("叉车倒车未鸣笛险些撞人", "厂内车辆超速险些碰撞"),
    "触电": ("临时电缆破损漏电", "配电箱门未关带电部位外露"),
    "灼烫": ("钢水包溢出险些烫伤", "焊接飞溅引燃衣物苗头"),
    "其它伤害": ("地面油污险些滑倒", "通道堆物险些绊倒"),
    "中毒和窒息": ("煤气管道法兰泄漏报警", "受限空间未检测即准备进入"),
    "火灾": ("切割火花引燃油布被及时扑灭", "电气柜过热冒烟"),
}
CAUSES = {  # Pareto: people first, then management, machine, method, environment, material
    IncidentCauseCategory.PERSON: (
        "违章操作，未按规程作业",
        "安全意识淡薄，冒险作业",
        "未正确佩戴劳动防护用品",
    ),
    IncidentCauseCategory.MANAGEMENT: ("安全教育培训不到位", "现场监护缺失", "隐患排查不彻底"),
    IncidentCauseCategory.MACHINE: ("设备安全防护装置缺失", "设备带病运行"),
    IncidentCauseCategory.METHOD: ("作业方案未进行风险辨识", "操作规程内容不完善"),
    IncidentCauseCategory.ENVIRONMENT: ("作业现场照明不足", "通道狭窄、地面湿滑"),
    IncidentCauseCategory.MATERIAL: ("吊索具老化未及时报废", "工件摆放不稳"),
}
CAUSE_WEIGHT = (40, 25, 15, 10, 6, 4)
HISTORY = timedelta(days=365)
ACTIONS = (
    "组织全员开展事故警示教育",
    "修订岗位安全操作规程",
    "加装设备安全防护装置",
    "开展同类设备隐患专项排查",
    "完善作业现场监护制度",
    "更换老化吊索具并建立报废台账",
    "增设警示标识和照明",
    "对责任人进行安全再培训并考核",
)


def _days(ctx: DemoContext) -> tuple[list[date], list[float]]:
    days = ctx.days_back(3)[1:]
    return days, list(accumulate(MONTH_WEIGHT[d.month - 1] for d in days))


def _counts(ctx: DemoContext, main: bool) -> dict[IncidentKind, int]:
    """Three years' worth per kind; accidents 1-2 a year at the main plant."""
    share = 1 if main else OTHER_SHARE
    counts = {k: 3 * n * ctx.factor // share for k, n in PER_YEAR_MAIN.items()}
    accidents = sum(ctx.rng.choice((1, 2)) for _ in range(3 * ctx.factor))
    counts[IncidentKind.ACCIDENT] = accidents if main else accidents // OTHER_SHARE
    return counts


def _casualties(ctx: DemoContext, kind: IncidentKind) -> dict[str, Any]:
    r = ctx.rng
    if kind == IncidentKind.NEAR_MISS:
        return {"deaths": 0, "serious_injuries": 0, "minor_injuries": 0, "direct_loss": 0.0}
    if kind == IncidentKind.MINOR:
        return {
            "deaths": 0,
            "serious_injuries": 0,
            "minor_injuries": r.choice((1, 1, 1, 2)),
            "direct_loss": float(r.randint(2, 60) * 500),
        }
    deaths = 3 if r.random() < 0.03 else (1 if r.random() < 0.2 else 0)
    return {
        "deaths": deaths,
        "serious_injuries": 0 if deaths else r.choice((1, 1, 2)),
        "minor_injuries": r.randint(0, 2),
        "direct_loss": float(r.randint(10, 400) * 5000),
    }


def _state(ctx: DemoContext, when: datetime, kind: IncidentKind) -> IncidentState:
    age = (ctx.today - when.date()).days
    if age < 7:
        return IncidentState.REPORTED
    if kind == IncidentKind.NEAR_MISS:
        return IncidentState.CLOSED
    if age < 30:
        return IncidentState.INVESTIGATING
    if age < 120 and ctx.rng.random() < 0.6:
        return IncidentState.ACTIONS
    return IncidentState.CLOSED


def _incidents(ctx: DemoContext, types: dict[str, int], user: int | None) -> list[dict[str, Any]]:
    rng = ctx.rng
    days, cum = _days(ctx)
    names, weights = list(TYPE_WEIGHT), list(TYPE_WEIGHT.values())
    rules = grade_rules(ctx.session)
    rows: list[dict[str, Any]] = []
    for ent in ctx.enterprises:
        areas = ctx.areas_of(ent.id) or [None]
        people = ctx.people_of(ent.id)
        for kind, n in _counts(ctx, ent.id == ctx.main.id).items():
            picked = rng.choices(days, cum_weights=cum, k=n)
            tnames = rng.choices(names, weights=weights, k=n)
            for day, tname in zip(picked, tnames, strict=True):
                area = rng.choice(areas)
                when = ctx.moment(day)
                anonymous = kind == IncidentKind.NEAR_MISS and rng.random() < 0.25
                loss = _casualties(ctx, kind)
                grade = None
                if kind != IncidentKind.NEAR_MISS:
                    rule = accident_grade(
                        loss["deaths"], loss["serious_injuries"], loss["direct_loss"], rules
                    )
                    grade = getattr(rule, "id", None)
                where = area.name if area else ent.name
                title = (
                    rng.choice(NEAR_MISS[tname])
                    if kind == IncidentKind.NEAR_MISS
                    else f"{where}{tname}{'事故' if kind == IncidentKind.ACCIDENT else '轻伤事件'}"
                )
                state = _state(ctx, when, kind)
                rows.append(
                    loss
                    | {
                        "enterprise_id": ent.id,
                        "department_id": area.department_id if area else None,
                        "created_by": None if anonymous else user,
                        "title": title[:120],
                        "kind": kind,
                        "occurred_at": when,
                        "area_id": area.id if area else None,
                        "accident_type_id": types.get(tname),
                        "grade_id": grade,
                        "anonymous": anonymous,
                        "reporter": None if anonymous or not people else rng.choice(people).name,
                        "description": f"{where}发生{title}。",
                        "immediate_measures": "立即停止作业，设置警戒，现场处置并报告安全管理部。",
                        "lessons": "举一反三，开展同类隐患排查。"
                        if state == IncidentState.CLOSED and kind != IncidentKind.NEAR_MISS
                        else None,
                        "state": state,
                    }
                )
    rows.sort(key=lambda r: (r["occurred_at"], r["enterprise_id"]))
    seq: Counter[str] = Counter()
    for row in rows:
        prefix = number_prefix(row["kind"], row["occurred_at"])
        seq[prefix] += 1
        row["number"] = f"{prefix}{seq[prefix]:03d}"
    return rows


def _follow_ups(
    ctx: DemoContext, rows: list[dict[str, Any]], ids: list[int], user: int | None
) -> list[tuple[int, dict[str, Any]]]:
    """Investigation and causes for each injury event; actions for those and some near misses."""
    rng = ctx.rng
    owners = {e.id: ctx.people_of(e.id) for e in ctx.enterprises}
    cats, cweights = list(CAUSES), list(CAUSE_WEIGHT)
    investigations, causes, actions = [], [], []
    for iid, row in zip(ids, rows, strict=True):
        scope = {
            "enterprise_id": row["enterprise_id"],
            "department_id": row["department_id"],
            "created_by": user,
        }
        occurred: datetime = row["occurred_at"]
        state = row["state"]
        injury = row["kind"] != IncidentKind.NEAR_MISS
        if injury and state != IncidentState.REPORTED:
            chosen = list(dict.fromkeys(rng.choices(cats, weights=cweights, k=3)))
            texts = [(c, rng.choice(CAUSES[c])) for c in chosen]
            done = state in (IncidentState.ACTIONS, IncidentState.CLOSED)
            start = occurred.date() + timedelta(days=1)
            investigations.append(
                scope
                | {
                    "incident_id": iid,
                    "leader": "安全环保部负责人",
                    "started_on": start,
                    "finished_on": start + timedelta(days=rng.randint(5, 20)) if done else None,
                    "timeline": [
                        {"at": occurred.isoformat(), "event": "事件发生"},
                        {
                            "at": (occurred + timedelta(minutes=10)).isoformat(),
                            "event": "现场人员报告值班长",
                        },
                        {
                            "at": (occurred + timedelta(minutes=30)).isoformat(),
                            "event": "启动现场处置方案",
                        },
                    ],
                    "direct_cause": texts[0][1],
                    "indirect_cause": texts[-1][1] if len(texts) > 1 else None,
                    "five_whys": [{"why": i + 1, "answer": t} for i, (_, t) in enumerate(texts)],
                    "fishbone": {c.value: [t] for c, t in texts},
                    "barrier_analysis": "个体防护屏障失效；设备联锁未起作用。" if done else None,
                    "conclusion": "责任事故，按四不放过原则处理。" if done else None,
                }
            )
            causes.extend(
                scope | {"incident_id": iid, "category": c, "text": t, "root": i == 0}
                for i, (c, t) in enumerate(texts)
            )
        wants = injury and state in (IncidentState.ACTIONS, IncidentState.CLOSED)
        if not (wants or (state == IncidentState.CLOSED and rng.random() < 0.08)):
            continue
        people = owners[row["enterprise_id"]]
        for content in rng.sample(ACTIONS, rng.randint(1, 3) if injury else 1):
            deadline = occurred.date() + timedelta(days=rng.randint(15, 60))
            if state == IncidentState.CLOSED:
                a_state, closed = (
                    CorrectiveActionState.CLOSED,
                    datetime.combine(
                        min(deadline - timedelta(days=rng.randint(0, 10)), ctx.today),
                        time(16, 0),
                        tzinfo=UTC,
                    ),
                )
            else:
                a_state, closed = rng.choice(list(CorrectiveActionState)[:3]), None
            # the owner's report of what was done: before verification (or closing) began
            finished = a_state in (CorrectiveActionState.VERIFYING, CorrectiveActionState.CLOSED)
            waiting = datetime.combine(ctx.today, time(8, 0), tzinfo=UTC)
            completed = (closed or waiting) - timedelta(days=1) if finished else None
            actions.append(
                scope
                | {
                    "content": content,
                    "source": CorrectiveActionSource.INCIDENT,
                    "incident_id": iid,
                    "source_ref": row["number"],
                    "owner_id": rng.choice(people).id if people else None,
                    "deadline": deadline,
                    "state": a_state,
                    "completion": f"已{content}。" if finished else None,
                    "completed_at": completed,
                    "closed_at": closed,
                    "verification": "已验证，措施有效。" if closed else None,
                }
            )
    ctx.bulk(IncidentInvestigation, investigations)
    ctx.bulk(IncidentCause, causes)
    return list(zip(ctx.bulk(CorrectiveAction, actions), actions, strict=True))


def generate(ctx: DemoContext) -> None:
    manager = next((u for u in ctx.users if u.username == "safety_manager"), None)
    user = manager.id if manager else None
    types = {t.name: t.id for t in ctx.session.exec(select(AccidentType))}
    rows = _incidents(ctx, types, user)
    ids = ctx.bulk(Incident, rows)
    actions = _follow_ups(ctx, rows, ids, user)
    # M and L: the histories of the last year only, as for hazards
    since = ctx.today - HISTORY if ctx.factor > 1 else date.min
    incidents = [(i, r) for i, r in zip(ids, rows, strict=True) if r["occurred_at"].date() >= since]
    kept = {i for i, _ in incidents}
    owners = {p.id: p.name for p in ctx.people}
    ctx.bulk(
        WorkflowEvent,
        incident_events(
            incidents,
            [(i, a) for i, a in actions if a["incident_id"] in kept],
            (user, manager.username if manager else ""),
            owners,
        ),
    )
