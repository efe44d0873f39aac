"""Demo duty performance: a duty list per post, three years of tasks per person, submissions.

Scale picks who carries tasks and how fine the cycles are, because a person's month cannot be
multiplied: S gives the responsible posts (安全员, 班组长) their monthly, quarterly and yearly
duties; M gives every person those plus weekly ones; L adds daily ones. About 90 % of past
tasks are handed in on time (less around Spring Festival and year end), a few are late, a few
never (overdue), some are returned once and resubmitted; recent ones wait for review.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.demogen import DemoContext
from core.duty.rules import due_date, period_of, task_name
from models.duty import DutyCycle, DutyDecision, DutyItem, DutySubmission, DutyTask, DutyTaskState
from models.org import Person

D, W, M, Q, Y = (DutyCycle.DAILY, DutyCycle.WEEKLY, DutyCycle.MONTHLY, DutyCycle.QUARTERLY,
                 DutyCycle.YEARLY)  # fmt: skip
RESPONSIBLE_POSTS = ("安全员", "班组长")
BASIS_LAW = "《安全生产法》第二十二条"
BASIS_RULE = "企业全员安全生产责任制"

TEMPLATES: dict[str, list[tuple[str, str, DutyCycle]]] = {
    "安全员": [
        ("日常安全巡查", "按巡查路线检查作业现场，记录并上报发现的隐患", D),
        ("隐患排查周汇总", "汇总本周隐患排查结果，跟踪整改闭环情况", W),
        ("月度安全检查", "组织部门月度综合安全检查并形成检查记录", M),
        ("安全教育培训组织", "组织本月安全教育培训，留存签到表和培训照片", M),
        ("应急演练组织", "按应急预案组织季度演练并完成评估", Q),
        ("安全生产责任制考核", "开展年度安全生产责任制考核并公示结果", Y),
    ],
    "班组长": [
        ("班前安全讲话", "班前会讲解当班风险、作业要求和注意事项", D),
        ("班组安全活动", "开展每周班组安全活动并记录", W),
        ("班组安全检查", "组织班组月度安全检查，填写检查表", M),
        ("新员工班组级教育", "对新上岗及转岗人员开展班组级安全教育", M),
        ("岗位风险辨识更新", "复核班组岗位风险辨识结果和管控措施", Q),
    ],
    "电工": [
        ("配电设备巡检", "巡检配电柜、电缆及接地情况", D),
        ("临时用电检查", "检查临时用电线路、漏保和作业票", W),
        ("漏电保护器测试", "逐台测试漏电保护器动作并记录", M),
        ("接地电阻检测", "检测防雷防静电接地电阻", Q),
        ("电气安全培训", "参加年度电气安全复训", Y),
    ],
    "special": [
        ("作业前设备检查", "作业前检查设备、索具、防护装置完好", D),
        ("特种作业规范自查", "对照操作规程自查本月作业行为", M),
        ("月度设备安全检查", "对所用特种设备开展月度安全检查", M),
        ("季度专项培训", "参加本岗位季度专项安全培训", Q),
        ("特种作业证复审核对", "核对特种作业操作证有效期，按期复审", Y),
    ],
    "default": [
        ("岗前安全检查", "上岗前检查工位、设备和安全防护设施", D),
        ("劳保用品自查", "检查并正确佩戴本岗位劳动防护用品", W),
        ("设备点检记录", "按点检表完成设备点检并签字", M),
        ("岗位隐患自查上报", "自查本岗位隐患并通过随手拍上报", M),
        ("岗位应急处置卡演练", "按岗位应急处置卡进行季度演练", Q),
    ],
}
SPECIAL_POSTS = ("焊工", "行车司机", "叉车司机", "起重工", "货车司机")
CYCLES_BY_FACTOR = {1: (M, Q, Y), 10: (W, M, Q, Y), 100: (D, W, M, Q, Y)}


def template_for(post_name: str) -> list[tuple[str, str, DutyCycle]]:
    if post_name in TEMPLATES:
        return TEMPLATES[post_name]
    return TEMPLATES["special" if post_name in SPECIAL_POSTS else "default"]


def generate(ctx: DemoContext) -> None:
    manager = next(u for u in ctx.users if u.username == "safety_manager")
    items = _items(ctx, manager.id)
    cycles = CYCLES_BY_FACTOR.get(ctx.factor, CYCLES_BY_FACTOR[1])
    post_names = {p.id: p.name for p in ctx.posts}
    people = [
        p
        for p in ctx.people
        if ctx.factor > 1 or post_names.get(p.post_id or -1) in RESPONSIBLE_POSTS
    ]
    reviewers = _reviewers(ctx, manager.person_id)
    accounts = {u.person_id: u.id for u in ctx.users if u.person_id is not None}
    tasks, subs = _tasks(ctx, items, people, cycles, reviewers, accounts, manager.id)
    ids = ctx.bulk(DutyTask, tasks)
    rows = []
    for i, task_subs in subs:
        for sub in task_subs:
            sub["task_id"] = ids[i]
            rows.append(sub)
    ctx.bulk(DutySubmission, rows)


def _items(ctx: DemoContext, created_by: int | None) -> dict[int, list[dict[str, Any]]]:
    """Duty list per post; returns the rows (with ids) keyed by post id."""
    rows = []
    for post in ctx.posts:
        for n, (name, content, cycle) in enumerate(template_for(post.name)):
            rows.append(
                {"post_id": post.id, "name": name, "content": content, "cycle": cycle,
                 "evidence_required": cycle != D, "weight": 20 if cycle in (Q, Y) else 10,
                 "basis": BASIS_LAW if n == 0 else BASIS_RULE, "active": True,
                 "enterprise_id": post.enterprise_id, "department_id": post.department_id,
                 "created_by": created_by}
            )  # fmt: skip
    by_post: dict[int, list[dict[str, Any]]] = {}
    for row, row_id in zip(rows, ctx.bulk(DutyItem, rows), strict=True):
        by_post.setdefault(row["post_id"], []).append(row | {"id": row_id})
    return by_post


def _reviewers(ctx: DemoContext, fallback: int | None) -> dict[int, list[int | None]]:
    """The reviewers per enterprise, in turn: its first two safety officers, then the safety
    manager (nobody reviews their own task, as in the workflow)."""
    post_names = {p.id: p.name for p in ctx.posts}
    out: dict[int, list[int | None]] = {}
    for e in ctx.enterprises:
        officers = [
            p.id for p in ctx.people_of(e.id) if post_names.get(p.post_id or -1) == "安全员"
        ]
        out[e.id] = [*officers[:2], fallback]
    return out


def _periods(cycle: DutyCycle, first: date, today: date) -> list[tuple[date, date]]:
    out = []
    start, end = period_of(cycle, first)
    while start <= today:
        out.append((start, end))
        start, end = period_of(cycle, end + timedelta(days=1))
    return out


def _tasks(
    ctx: DemoContext,
    items: dict[int, list[dict[str, Any]]],
    people: list[Person],
    cycles: tuple[DutyCycle, ...],
    reviewers: dict[int, list[int | None]],
    accounts: dict[int, int],
    created_by: int | None,
) -> tuple[list[dict[str, Any]], list[tuple[int, list[dict[str, Any]]]]]:
    rng, today = ctx.rng, ctx.today
    first = today - timedelta(days=365 * 3)
    periods = {c: _periods(c, first, today) for c in cycles}
    tasks: list[dict[str, Any]] = []
    subs: list[tuple[int, list[dict[str, Any]]]] = []
    for person in people:
        candidates = reviewers.get(person.enterprise_id or -1, [])
        reviewer = next((r for r in candidates if r != person.id), None)
        for item in items.get(person.post_id or -1, []):
            if item["cycle"] not in cycles:
                continue
            for start, end in periods[item["cycle"]]:
                due = due_date(end)
                task = {
                    "item_id": item["id"], "person_id": person.id,
                    "name": task_name(item["name"], item["cycle"], start),
                    "period_start": start, "period_end": end, "due_on": due,
                    "enterprise_id": person.enterprise_id,
                    "department_id": person.department_id, "created_by": created_by,
                }  # fmt: skip
                made = _outcome(rng, task, start, due, today, reviewer)
                task["submitted_by"] = accounts.get(person.id) if task["submitted_at"] else None
                for sub in made:  # handed in by the person's account, as the workflow records
                    sub["created_by"] = task["submitted_by"] or created_by
                if made:
                    subs.append((len(tasks), made))
                tasks.append(task)
    return tasks, subs


def _at(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(0, 10), rng.randint(0, 59)), tzinfo=UTC)


def _on_time_share(due: date) -> float:
    """Lower around Spring Festival (Feb) and the year-end rush (Dec)."""
    return {2: 0.82, 12: 0.85}.get(due.month, 0.91)


def _outcome(
    rng: random.Random,
    task: dict[str, Any],
    start: date,
    due: date,
    today: date,
    reviewer: int | None,
) -> list[dict[str, Any]]:
    """Fill the task's state and return its submissions (oldest first); the on-time flag is
    the reviewer's, set on approval."""
    task.update(state=DutyTaskState.PENDING, submitted_at=None, on_time=None, score=None)
    draw = rng.random()
    current = due >= today
    if current and draw < 0.6:
        return []  # still to do in the running period
    share = _on_time_share(due)
    if not current and draw > share + 0.06:
        return []  # never handed in: overdue
    if current or draw < share:
        span = max(0, min((today - start).days, (due - start).days))
        day = start + timedelta(days=rng.randint(max(0, span - 5), span))
    else:
        day = due + timedelta(days=rng.randint(1, 12))
        if day >= today:
            return []
    submitted = _at(rng, day)
    task["submitted_at"] = submitted
    base = {"content": f"已完成：{task['name']}，记录及照片已上传", "reviewer_id": reviewer,
            "enterprise_id": task["enterprise_id"],
            "department_id": task["department_id"]}  # fmt: skip
    review_at = submitted + timedelta(hours=rng.randint(2, 72))
    if review_at.date() >= today:  # not reviewed yet
        task["state"] = DutyTaskState.SUBMITTED
        return [base | {"submitted_at": submitted, "reviewed_at": None, "decision": None,
                        "comment": None, "score": None}]  # fmt: skip
    if rng.random() < 0.05:  # returned once
        returned = base | {"submitted_at": submitted, "reviewed_at": review_at,
                           "decision": DutyDecision.RETURNED, "comment": "佐证材料不完整，请补充",
                           "score": None}  # fmt: skip
        again = review_at + timedelta(hours=rng.randint(4, 96))
        if again.date() >= today - timedelta(days=3):
            task["state"] = DutyTaskState.RETURNED
            return [returned]
        task["submitted_at"] = again
        submitted, review_at = again, again + timedelta(hours=rng.randint(2, 48))
        first = [returned]
    else:
        first = []
    on_time = submitted.date() <= due
    score = float(rng.randint(85, 100) if on_time else rng.randint(60, 84))
    task.update(state=DutyTaskState.APPROVED, score=score, on_time=on_time)
    approved = base | {
        "submitted_at": submitted, "reviewed_at": review_at,
        "decision": DutyDecision.APPROVED, "comment": "符合要求", "score": score,
    }  # fmt: skip
    return [*first, approved]
