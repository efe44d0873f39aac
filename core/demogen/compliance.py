"""Compliance demo: the regulation library comes from the reference files; this adds ~100
knowledge-base documents (times the scale factor), the GB/T 33000 self-assessment template
(40 items over its eight elements) and a yearly self-assessment per enterprise (at M and L
also per department), improving over the years."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from core.compliance.rules import summarise
from core.demogen import DemoContext
from models.compliance import KbCategory, KbDocument, Regulation
from models.compliance_assessment import (
    AssessmentItem,
    AssessmentResult,
    AssessmentState,
    AssessmentTemplate,
    AssessMethod,
    AutoMetric,
)
from models.enums import DocumentState

KB_DOCUMENTS = 100

# GB/T 33000-2016 first-level elements with their weight (sum 100) and five requirements each;
# a metric marks the items the platform can score from its own data.
ELEMENTS: list[tuple[str, float, list[tuple[str, AutoMetric | None]]]] = [
    ("目标职责", 12, [
        ("制定安全生产与职业卫生目标并分解到部门、岗位", None),
        ("设置安全生产委员会和安全管理机构, 配备专职安全管理人员", None),
        ("建立健全全员安全生产责任制并逐级签订责任书", None),
        ("足额提取和使用安全生产费用, 建立使用台账", None),
        ("开展安全文化建设, 主要负责人带班值班", None),
    ]),
    ("制度化管理", 10, [
        ("建立法律法规标准识别和获取清单, 每年更新", None),
        ("制定安全生产规章制度并发放到岗位", None),
        ("编制岗位安全操作规程并组织评审修订", None),
        ("安全生产档案(培训、检查、隐患、事故、职业健康等)齐全", None),
        ("每年评估规章制度和操作规程的适用性、有效性", None),
    ]),
    ("教育培训", 12, [
        ("制定年度培训计划并按计划实施", None),
        ("主要负责人和安全管理人员培训考核合格", None),
        ("从业人员三级安全教育和年度再培训覆盖全员", AutoMetric.TRAINING_COVERAGE),
        ("特种作业人员持证上岗, 证书在有效期内", AutoMetric.CERTIFICATES_VALID),
        ("相关方及外来人员入厂安全教育", None),
    ]),
    ("现场管理", 24, [
        ("设备设施建设、验收、检维修和报废管理", None),
        ("特殊作业实行作业许可管理并落实安全措施", None),
        ("作业场所职业病危害因素定期检测并公告", AutoMetric.MONITORING_DONE),
        ("接触职业病危害人员职业健康检查完成率", AutoMetric.HEALTH_EXAMS_DONE),
        ("按标准配备和发放劳动防护用品并监督使用", None),
    ]),
    ("安全风险管控及隐患排查治理", 16, [
        ("全面开展安全风险辨识并建立风险清单", AutoMetric.RISK_POINTS_ASSESSED),
        ("按风险等级实施分级管控, 设置风险告知卡", None),
        ("重大危险源辨识、登记、监控和备案", None),
        ("制定隐患排查计划并按计划开展排查", None),
        ("隐患按期整改闭环, 重大隐患挂牌督办", AutoMetric.HAZARD_CLOSURE),
    ]),
    ("应急管理", 12, [
        ("建立应急管理组织机构和应急救援队伍", None),
        ("编制应急预案并备案, 定期评估修订", None),
        ("按规定频次组织应急演练并评估总结", AutoMetric.DRILLS_HELD),
        ("应急物资装备配备、检查和维护", None),
        ("建立监测预警和应急值守制度", None),
    ]),
    ("事故管理", 6, [
        ("事故按规定及时如实报告", None),
        ("按四不放过原则调查处理事故", None),
        ("建立事故档案和事故管理台账", None),
        ("开展未遂事件上报与分析", None),
        ("事故教训纳入培训和知识库", None),
    ]),
    ("持续改进", 8, [
        ("每年至少开展一次标准化自评", None),
        ("自评发现的问题制定整改计划并落实", None),
        ("分析安全生产绩效指标并通报", None),
        ("根据自评结果修订目标、制度和措施", None),
        ("管理评审输出纳入下一年度计划", None),
    ]),
]  # fmt: skip

KB_TOPICS: dict[KbCategory, tuple[list[str], int]] = {
    KbCategory.PROCEDURE: (
        [
            "动火作业安全管理制度",
            "受限空间作业安全操作规程",
            "起重吊装作业管理规定",
            "临时用电安全管理规定",
            "高处作业安全管理制度",
            "劳动防护用品管理制度",
            "职业健康监护管理制度",
            "隐患排查治理制度",
            "相关方安全管理制度",
            "危险化学品储存管理规定",
            "行车(桥式起重机)安全操作规程",
            "电焊机安全操作规程",
        ],
        35,
    ),
    KbCategory.CASE: (
        [
            "行车吊物坠落致死事故案例",
            "受限空间中毒窒息事故案例",
            "涂装车间闪爆事故案例",
            "叉车倒车碾压事故案例",
            "铸造浇注铁水喷溅烫伤案例",
            "检修未挂牌上锁机械伤害案例",
            "动火作业引燃保温层火灾案例",
            "高处作业未系安全带坠落案例",
        ],
        25,
    ),
    KbCategory.INTERPRETATION: (
        [
            "新《安全生产法》全员安全生产责任制解读",
            "GB 30871-2022 动火作业新要求解读",
            "事故等级划分标准解读",
            "重大事故隐患判定标准解读",
            "职业病防治法用人单位义务解读",
            "应急预案演练频次要求解读",
        ],
        15,
    ),
    KbCategory.LESSON: (
        [
            "夜班交接班遗漏能量隔离的教训",
            "临时用电私拉乱接的教训",
            "承包商人员未培训即上岗的教训",
            "粉尘超标整改经验",
        ],
        12,
    ),
    KbCategory.TECHNICAL: (
        [
            "噪声控制技术措施汇编",
            "焊接烟尘治理方案",
            "喷漆房通风设计要点",
            "可燃气体检测报警仪校验要点",
        ],
        8,
    ),
    KbCategory.FAQ: (
        ["特种作业证到期如何复审", "体检结果异常如何处理", "劳保用品损坏能否提前更换"],
        5,
    ),
}
TAGS = ("动火", "受限空间", "吊装", "用电", "高处", "职业健康", "粉尘", "噪声", "危化品", "应急",
        "培训", "隐患", "承包商", "铸造", "焊接", "涂装")  # fmt: skip


def _user_id(ctx: DemoContext) -> int | None:
    by_name = {u.username: u.id for u in ctx.users}
    return by_name.get("safety_manager") or (ctx.users[0].id if ctx.users else None)


def generate(ctx: DemoContext) -> None:
    uid = _user_id(ctx)
    regulations = list(ctx.session.exec(select(Regulation.id).order_by(Regulation.id)))
    ctx.bulk(KbDocument, _documents(ctx, uid, regulations))
    template_id = ctx.bulk(
        AssessmentTemplate,
        [{"name": "安全生产标准化自评(GB/T 33000-2016)", "standard": "GB/T 33000-2016",
          "version": "2016", "created_by": uid, "deleted_at": None,
          "description": "按 8 个一级要素 40 项评分, 满分 100; 能从平台数据取数的项目自动评分"}],
    )[0]  # fmt: skip
    items: list[dict[str, Any]] = []
    for e, (element, weight, requirements) in enumerate(ELEMENTS, start=1):
        for i, (text, metric) in enumerate(requirements, start=1):
            method = AssessMethod.AUTO if metric else AssessMethod.EVIDENCE
            items.append(
                {"template_id": template_id, "code": f"{e}.{i}", "element": element,
                 "requirement": text, "method": method,
                 "metric": metric, "max_score": round(weight / len(requirements), 2),
                 "position": len(items) + 1, "created_by": uid, "deleted_at": None}
            )  # fmt: skip
    ctx.bulk(AssessmentItem, items)
    ctx.bulk(AssessmentResult, _results(ctx, uid, template_id, items))


def _documents(ctx: DemoContext, uid: int | None, regulations: list[int]) -> list[dict[str, Any]]:
    rng, rows = ctx.rng, []
    others = [e.id for e in ctx.enterprises if e.id != ctx.main.id]
    for category, (titles, count) in KB_TOPICS.items():
        for n in range(count * ctx.factor):
            title = titles[n % len(titles)]
            if n >= len(titles):
                title = f"{title}(第{n // len(titles) + 1}版)"
            enterprise = ctx.main.id if rng.random() < 0.7 or not others else rng.choice(others)
            published = ctx.today - timedelta(days=rng.randint(0, 3 * 365))
            state = _article_state(n)
            body = (
                f"{title}。适用范围: 本单位各车间、部门及相关方。"
                f"主要内容: 职责分工、作业前风险辨识、审批与交底、现场监护、应急处置和记录归档。"
                f"编制依据: 相关法律法规和标准。发布日期 {published:%Y年%m月%d日}。"
            )
            rows.append(
                {"title": title, "category": category, "tags": rng.sample(TAGS, rng.randint(1, 3)),
                 "body": body, "enterprise_id": enterprise, "department_id": None,
                 "regulation_id": rng.choice(regulations) if regulations and category in (
                     KbCategory.INTERPRETATION, KbCategory.PROCEDURE) else None,
                 "source_incident": f"{published.year}年{title[:-2]}" if category in (
                     KbCategory.CASE, KbCategory.LESSON) else None,
                 "published_on": published if state != DocumentState.DRAFT else None,
                 "state": state, "created_by": uid, "deleted_at": None}
            )  # fmt: skip
    return rows


def _article_state(n: int) -> DocumentState:
    """Most articles are published for the whole enterprise; every tenth is still a draft
    and every twentieth was withdrawn."""
    if n % 10 == 9:
        return DocumentState.DRAFT
    return DocumentState.WITHDRAWN if n % 20 == 13 else DocumentState.PUBLISHED


def _results(
    ctx: DemoContext, uid: int | None, template_id: int, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One self-assessment per enterprise and year, the main plant improving year on year."""
    rng, rows = ctx.rng, []
    maxima = {i["code"]: i["max_score"] for i in items}
    for year in range(ctx.today.year - 3, ctx.today.year + 1):
        assessed = date(year, 11, 15)
        if assessed > ctx.today:
            continue
        units = [(e.id, None) for e in ctx.enterprises]
        for e in ctx.enterprises:  # larger scales: workshops assess themselves as well
            units += [(e.id, d.id) for d in ctx.departments_of(e.id)[: ctx.factor - 1]]
        for ent, dep in units:
            full = 0.55 + 0.1 * (year - ctx.today.year + 3) + (0.1 if ent == ctx.main.id else 0)
            scores = {
                code: top if rng.random() < full else round(top * rng.choice((0, 0.5, 0.8)), 2)
                for code, top in maxima.items()
            }
            rows.append(
                {"template_id": template_id, "period": str(year), "assessed_on": assessed,
                 "assessor": "标准化自评小组", "scores": scores, "enterprise_id": ent,
                 "department_id": dep, "created_by": uid, "deleted_at": None,
                 # past years reviewed; this year's waits for the review
                 "state": AssessmentState.REVIEWED if year < ctx.today.year
                 else AssessmentState.SUBMITTED}
                | summarise(scores, maxima)
            )  # fmt: skip
    return rows
