"""Demo training: course library, plans, papers from the bank, exams with retakes, attendance
records and certificates.

Exams run at about 6,000 a year at scale S (times ``ctx.factor``), passing about 85 % of
attempts: a failed first attempt is retaken (wrong answers kept for the wrong-answer book).
Courses, papers and certificates are master data and do not scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlmodel import select

from core.demogen import DemoContext
from core.demogen.assignment_plans import add_assignments
from core.demogen.study_materials import add_course_materials
from core.demogen.training_history import add_training_history
from core.demogen.training_practice import add_learning
from core.training.rules import add_years, certificate_dates, is_passed
from models.enums import DocumentState
from models.org import Post
from models.training import (
    EducationLevel,
    PlanPeriod,
    TrainingCertificate,
    TrainingCertificateKind,
    TrainingCourse,
    TrainingCourseType,
    TrainingPlan,
    TrainingPlanState,
    TrainingRecord,
    TrainingResult,
)
from models.training_exam import ExamPaper, ExamRecord, Question, QuestionKind

FIRST_ATTEMPTS_PER_YEAR = 5_250  # ≈ 6,000 records a year with retakes, times ctx.factor
FIRST_PASS, RETAKE_PASS = 0.88, 0.8
MONTHLY_PLANS = 5  # per month across the enterprises, times ctx.factor
PAPER_QUESTIONS = 20
#: (name, type code, hours, mandatory, tags, target posts)
COURSES = (
    ("新员工厂级安全教育", "NEW", 8, True, ["三级教育"], []),
    ("新员工车间级安全教育", "NEW", 8, True, ["三级教育"], []),
    ("新员工班组级安全教育", "NEW", 8, True, ["三级教育"], []),
    ("主要负责人安全生产知识和管理能力", "PRIN", 32, True, ["法律法规"], []),
    ("安全生产管理人员年度再培训", "MGR", 12, True, ["法律法规"], ["安全员"]),
    ("全员年度安全再培训", "ANNUAL", 8, True, ["年度"], []),
    ("《安全生产法》解读", "TOPIC", 2, False, ["法律法规"], []),
    (
        "动火作业安全管理（GB 30871）",
        "TOPIC",
        4,
        True,
        ["特殊作业", "动火"],
        ["焊工", "设备维修工"],
    ),
    ("受限空间作业安全", "TOPIC", 4, True, ["特殊作业", "受限空间"], ["设备维修工"]),
    ("高处作业与安全带使用", "TOPIC", 2, True, ["特殊作业", "高处"], ["设备维修工", "电工"]),
    ("吊装作业“十不吊”", "TOPIC", 2, True, ["特殊作业", "吊装"], ["行车司机", "起重工"]),
    ("临时用电安全", "TOPIC", 2, False, ["用电"], ["电工"]),
    ("低压电工作业复审培训", "SPECIAL_OP", 8, True, ["特种作业"], ["电工"]),
    ("熔化焊接与热切割作业复审培训", "SPECIAL_OP", 8, True, ["特种作业"], ["焊工"]),
    ("桥（门）式起重机司机培训", "SPECIAL_EQ", 16, True, ["特种设备"], ["行车司机", "起重工"]),
    ("叉车司机安全操作", "SPECIAL_EQ", 8, True, ["特种设备"], ["叉车司机"]),
    ("消防安全“四个能力”", "EMERGENCY", 2, True, ["消防"], []),
    ("灭火器与消火栓使用实操", "EMERGENCY", 1, False, ["消防", "实操"], []),
    ("心肺复苏与AED急救", "EMERGENCY", 2, False, ["急救"], []),
    ("综合应急预案培训", "EMERGENCY", 2, True, ["应急"], []),
    ("噪声与粉尘危害防护", "OH", 2, True, ["职业健康"], ["铸造工", "涂装工"]),
    ("涂装作业化学品防护", "OH", 2, True, ["职业健康", "危险化学品"], ["涂装工"]),
    ("劳动防护用品正确佩戴", "OH", 1, False, ["劳动防护"], []),
    ("机械设备上锁挂牌（LOTO）", "TOPIC", 2, True, ["检维修"], ["设备维修工", "装配钳工"]),
    ("危险化学品安全管理", "TOPIC", 4, True, ["危险化学品"], ["仓管员"]),
    ("新设备投用“四新”培训", "NEW_TECH", 4, False, ["四新"], []),
    ("转岗复岗安全培训", "TRANSFER", 8, True, ["转岗"], []),
    ("相关方入厂安全教育", "CONTRACTOR", 4, True, ["相关方"], []),
    ("双重预防机制与隐患排查", "TOPIC", 2, False, ["隐患排查", "风险管控"], ["班组长", "安全员"]),
    ("班组安全活动与事故案例警示", "TOPIC", 1, False, ["事故案例"], ["班组长"]),
)
OTHER_COURSES = 8  # the first ones, for each other enterprise
#: Training and exams crowd into March-April, June (安全生产月) and November; Spring Festival
#: and the summer holiday are quiet.
MONTH_WEIGHT = {
    1: 0.6,
    2: 0.3,
    3: 1.4,
    4: 1.4,
    5: 1.0,
    6: 1.6,
    7: 0.8,
    8: 0.7,
    9: 1.0,
    10: 0.9,
    11: 1.3,
    12: 1.0,
}
TRAINERS = ("安全环保部 张工", "外聘讲师 刘老师", "设备部 王工", "消防支队 陈教官", "车间主任")
PREFIX = {TrainingCertificateKind.SPECIAL_OPERATION: "T", TrainingCertificateKind.THREE_LEVEL: "SJ"}
LOCATIONS = ("培训中心一楼教室", "行政楼会议室", "车间现场", "线上学习")


def _owner(ctx: DemoContext, enterprise_id: int) -> int | None:
    mine = [u for u in ctx.users if u.enterprise_id == enterprise_id]
    chosen = next((u for u in mine if "safety_manager" in u.roles), None) or (
        mine[0] if mine else next(u for u in ctx.users if "admin" in u.roles)
    )
    return chosen.id


def _courses(ctx: DemoContext, types: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for ent in ctx.enterprises:
        count = len(COURSES) if ent.id == ctx.main.id else OTHER_COURSES
        deps = ctx.departments_of(ent.id)
        for name, code, hours, mandatory, tags, posts in COURSES[:count]:
            rows.append(
                {
                    "name": name,
                    "course_type_id": types.get(code),
                    "hours": float(hours),
                    "mandatory": mandatory,
                    "tags": tags,
                    "target_posts": posts,
                    "teacher": ctx.rng.choice(TRAINERS),
                    "material_url": None,
                    "description": None,
                    "enterprise_id": ent.id,
                    "department_id": deps[0].id if deps else None,
                    "created_by": _owner(ctx, ent.id),
                    "state": DocumentState.PUBLISHED,  # in use: for the whole enterprise
                }
            )
    return rows


def _papers(ctx: DemoContext, courses: list[dict[str, Any]], bank: list[int]) -> list[dict]:
    """One paper per mandatory course (about 20 in the main plant)."""
    rows = []
    for c in courses:
        if not c["mandatory"]:
            continue
        strict = c["tags"][0] in ("特种作业", "特种设备", "特殊作业")
        rows.append(
            {
                "name": f"{c['name']}考试",
                "course_id": c["id"],
                "question_ids": sorted(ctx.rng.sample(bank, min(PAPER_QUESTIONS, len(bank)))),
                "duration_minutes": 60 if strict else 45,
                "total_score": 100.0,
                "pass_score": 80.0 if strict else 60.0,
                "shuffle_questions": True,
                "shuffle_options": True,
                **{k: c[k] for k in ("enterprise_id", "department_id", "created_by")},
            }
        )
    return rows


def _month_days(ctx: DemoContext) -> tuple[list[date], list[float]]:
    days = ctx.days_back()
    return days, [MONTH_WEIGHT[d.month] for d in days]


def _plan_state(ctx: DemoContext, day: date) -> TrainingPlanState:
    if day > ctx.today:
        return ctx.rng.choice((TrainingPlanState.DRAFT, TrainingPlanState.APPROVED))
    if (ctx.today - day).days < 20:
        return TrainingPlanState.IN_PROGRESS
    return TrainingPlanState.CANCELLED if ctx.rng.random() < 0.04 else TrainingPlanState.COMPLETED


def _plans(ctx: DemoContext, courses: list[dict[str, Any]], posts: dict[str, int]) -> list[dict]:
    """Annual plans per mandatory course and year, monthly ones spread over the seasons."""
    rng, rows = ctx.rng, []
    by_ent: dict[int, list[dict[str, Any]]] = {}
    for c in courses:
        by_ent.setdefault(c["enterprise_id"], []).append(c)
    first_year = ctx.today.year - 2
    for mine in by_ent.values():
        for year in range(first_year, ctx.today.year + 1):
            for c in (c for c in mine if c["mandatory"]):
                day = date(year, rng.randint(1, 3), rng.randint(1, 28))
                rows.append(_plan(ctx, c, PlanPeriod.ANNUAL, day, f"{year}年度{c['name']}", None))
    days, weights = _month_days(ctx)
    total = MONTHLY_PLANS * 12 * 3 * ctx.factor
    mains = by_ent[ctx.main.id]
    for day in sorted(rng.choices(days, weights, k=total)):
        c = rng.choice(mains) if rng.random() < 0.75 else rng.choice(courses)
        post = (
            posts.get(f"{c['enterprise_id']}:{c['target_posts'][0]}") if c["target_posts"] else None
        )
        rows.append(_plan(ctx, c, PlanPeriod.MONTHLY, day, f"{day:%Y年%m月}{c['name']}", post))
    return rows


def _plan(
    ctx: DemoContext,
    course: dict[str, Any],
    period: PlanPeriod,
    day: date,
    name: str,
    post_id: int | None,
) -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        "course_id": course["id"],
        "post_id": post_id,
        "planned_on": day,
        "planned_people": ctx.rng.randint(8, 40),
        "mandatory": course["mandatory"],
        "state": _plan_state(ctx, day),
        **{k: course[k] for k in ("enterprise_id", "department_id", "created_by")},
    }


def _records(
    ctx: DemoContext, plans: list[dict[str, Any]], courses: dict[int, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Attendance for every held plan: a sample of the enterprise's people."""
    rng, today = ctx.rng, ctx.today
    people = {e.id: ctx.people_of(e.id) for e in ctx.enterprises}
    for p in plans:
        if p["planned_on"] > today or p["state"] == TrainingPlanState.CANCELLED:
            continue
        staff = people[p["enterprise_id"]]
        course = courses[p["course_id"]]
        for person in rng.sample(staff, min(len(staff), p["planned_people"])):
            r = rng.random()
            result = (
                TrainingResult.PASSED
                if r < 0.92
                else (TrainingResult.FAILED if r < 0.97 else TrainingResult.ABSENT)
            )
            yield {
                "person_id": person.id,
                "course_id": p["course_id"],
                "plan_id": p["id"],
                "trained_on": p["planned_on"],
                "hours": course["hours"] if result != TrainingResult.ABSENT else 0.0,
                "result": result,
                "score": None
                if result == TrainingResult.ABSENT
                else float(
                    rng.randint(80, 100) if result == TrainingResult.PASSED else rng.randint(35, 59)
                ),
                "trainer": course["teacher"],
                "location": rng.choice(LOCATIONS),
                "enterprise_id": person.enterprise_id,
                "department_id": person.department_id,
                "created_by": p["created_by"],
            }


def _exams(ctx: DemoContext, papers: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """First attempts spread over three years; failures are retaken within two weeks."""
    rng, today = ctx.rng, ctx.today
    days, weights = _month_days(ctx)
    people = {e.id: ctx.people_of(e.id) for e in ctx.enterprises}
    main_papers = [p for p in papers if p["enterprise_id"] == ctx.main.id]
    n = 0
    for day in sorted(rng.choices(days, weights, k=FIRST_ATTEMPTS_PER_YEAR * 3 * ctx.factor)):
        paper = rng.choice(main_papers) if rng.random() < 0.7 else rng.choice(papers)
        person = rng.choice(people[paper["enterprise_id"]])
        attempt, chance = 1, FIRST_PASS
        while True:
            n += 1
            passing = rng.random() < chance
            pass_score = paper["pass_score"]
            score = float(
                rng.randint(int(pass_score), 100)
                if passing
                else rng.randint(30, int(pass_score) - 1)
            )
            started = ctx.moment(day)
            wrong = round((100 - score) / (100 / PAPER_QUESTIONS))
            yield {
                "exam_no": f"KS{day.year}{day.month:02d}{day.day:02d}{n:07d}",
                "paper_id": paper["id"],
                "person_id": person.id,
                "attempt": attempt,
                "started_at": started,
                "submitted_at": started
                + timedelta(minutes=rng.randint(12, paper["duration_minutes"])),
                "score": score,
                "passed": is_passed(score, pass_score),
                "answers": {"wrong": rng.sample(paper["question_ids"], wrong)},
                "enterprise_id": person.enterprise_id,
                "department_id": person.department_id,
                "created_by": paper["created_by"],
            }
            day = day + timedelta(days=rng.randint(1, 14))
            if passing or attempt >= 3 or day > today:
                break
            attempt, chance = attempt + 1, RETAKE_PASS


def _certificates(
    ctx: DemoContext, courses: list[dict[str, Any]], posts: dict[int, Post]
) -> list[dict]:
    """Special-operation certificates for people in special posts; in-house ones for a share."""
    rng, today, rows = ctx.rng, ctx.today, []
    special_course = {c["enterprise_id"]: c["id"] for c in courses if c["tags"] == ["特种作业"]}
    three_level = {
        c["enterprise_id"]: c["id"] for c in courses if c["name"] == "新员工厂级安全教育"
    }
    for person in ctx.people:
        post = posts.get(person.post_id or -1)
        kinds = []
        if post is not None and post.special_operation:
            kinds.append(
                (
                    TrainingCertificateKind.SPECIAL_OPERATION,
                    special_course.get(person.enterprise_id),
                )
            )
        if rng.random() < 0.5:
            kinds.append(
                (TrainingCertificateKind.THREE_LEVEL, three_level.get(person.enterprise_id))
            )
        for kind, course_id in kinds:
            issued = today - timedelta(days=rng.randint(20, 6 * 365 + 60))  # some expired
            expires, review = certificate_dates(kind, issued)
            reviewed = None
            if review is not None and review < today and rng.random() < 0.85:
                reviewed = review - timedelta(days=rng.randint(0, 60))
                review = add_years(review, 3) if add_years(review, 3) < expires else None
            rows.append(
                {
                    "person_id": person.id,
                    "kind": kind,
                    "course_id": course_id,
                    "number": f"{PREFIX[kind]}{issued:%Y}{len(rows) + 1:06d}",
                    "issued_on": issued,
                    "expires_on": expires,
                    "review_due_on": review,
                    "reviewed_on": reviewed,
                    "enterprise_id": person.enterprise_id,
                    "department_id": person.department_id,
                    "created_by": _owner(ctx, person.enterprise_id or -1),
                }
            )
    return rows


#: The new-hire courses by the level of three-level education they teach (三级安全教育卡).
LEVEL_OF_COURSE = {
    "新员工厂级安全教育": EducationLevel.PLANT,
    "新员工车间级安全教育": EducationLevel.WORKSHOP,
    "新员工班组级安全教育": EducationLevel.TEAM,
}


def _levelled(courses: list[dict[str, Any]]) -> None:
    """Give every course its education level (None for all but the three new-hire ones)."""
    for course in courses:
        course["level"] = LEVEL_OF_COURSE.get(course["name"])


def generate(ctx: DemoContext) -> dict[str, int]:
    session = ctx.session
    types = dict(session.exec(select(TrainingCourseType.code, TrainingCourseType.id)).all())
    bank = list(
        session.exec(
            select(Question.id)
            .where(Question.kind != QuestionKind.SHORT_ANSWER, Question.deleted_at.is_(None))
            .order_by(Question.id)
        ).all()
    )
    courses = _courses(ctx, types)
    _levelled(courses)
    for c, new_id in zip(courses, ctx.bulk(TrainingCourse, courses), strict=True):
        c["id"] = new_id
    add_course_materials(ctx, courses)
    post_rows = {p.id: p for p in ctx.posts}
    posts = {f"{p.enterprise_id}:{p.name}": p.id for p in ctx.posts}
    plans = list(_plans(ctx, courses, posts))
    for p, new_id in zip(plans, ctx.bulk(TrainingPlan, plans), strict=True):
        p["id"] = new_id
    add_assignments(ctx, plans, {c["id"]: c for c in courses})
    add_training_history(ctx, plans)
    ctx.bulk(TrainingRecord, _records(ctx, plans, {c["id"]: c for c in courses}))
    papers = _papers(ctx, courses, bank) if bank else []
    for p, new_id in zip(papers, ctx.bulk(ExamPaper, papers), strict=True):
        p["id"] = new_id
    if papers:
        ctx.bulk(ExamRecord, _exams(ctx, papers))
        add_learning(ctx)
    ctx.bulk(TrainingCertificate, _certificates(ctx, courses, post_rows))
    return ctx.counts
