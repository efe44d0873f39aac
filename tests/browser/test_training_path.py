"""An employee's training path on a phone (390 x 844, Chinese): an assigned course opened
from "我的培训考试", one material studied until the server's heartbeat completes it, the
course exam sat against the countdown (two answers wrong on purpose) and handed in, and the
wrong answers found again in "错题本与练习".

The shared server beats every ``study_beat_seconds`` (30 s by default, not shortened for one
test), so the material needs one minute and the data starts 45 seconds into it: the
completion the page shows comes from one real beat the server counted. Screenshots go to
artefacts/screenshots (training_path_*.png).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect
from sqlmodel import Session, col, select

from core.config import Settings
from core.db import make_engine
from models.accounts import User
from models.enums import DocumentState
from models.org import Person
from models.training import TrainingCourse
from models.training_exam import ExamPaper, Question, QuestionKind
from models.training_learning import (
    AssignmentSource,
    CourseMaterial,
    StudyProgress,
    TrainingAssignment,
    WrongAnswer,
)

from .test_main_paths import TIMEOUT, _idle, _login

PHONE = {"width": 390, "height": 844}
BEAT_WAIT = 80_000  # one 30 s beat, on a machine shared with another server
SHOT = "training_path_{}.png"


@dataclass(frozen=True)
class Quiz:
    """One question of the paper and the option the test picks (right or wrong)."""

    stem: str
    kind: QuestionKind
    options: tuple[str, ...]
    answer: str
    pick: str  # the shown label clicked: "B. …" or "正确"/"错误"
    wrong: bool  # the pick is not the answer


@dataclass(frozen=True)
class Prepared:
    """What the database holds for the path before the browser opens it."""

    course: str
    person_id: int
    question_ids: dict[str, int]  # stem -> id
    quizzes: tuple[Quiz, ...]


def _quizzes(tag: str) -> tuple[Quiz, ...]:
    return (
        Quiz(
            f"{tag} 动火作业前应检测哪种气体？",
            QuestionKind.SINGLE,
            ("可燃气体浓度", "空气湿度", "室内温度"),
            "A",
            "A. 可燃气体浓度",
            wrong=False,
        ),
        Quiz(
            f"{tag} 受限空间作业的监护人可以离开现场吗？",
            QuestionKind.SINGLE,
            ("可以短时离开", "不得离开", "视情况而定"),
            "B",
            "A. 可以短时离开",
            wrong=True,
        ),
        Quiz(
            f"{tag} 进入车间必须佩戴安全帽。", QuestionKind.TRUE_FALSE, (), "T", "正确", wrong=False
        ),
        Quiz(
            f"{tag} 灭火器过期后仍可继续使用。",
            QuestionKind.TRUE_FALSE,
            (),
            "F",
            "正确",
            wrong=True,
        ),
    )


def _prepare(data_dir: Path) -> Prepared:
    """The employee's person gets an assigned course: one text material of one minute already
    45 s studied, and a fixed four-question exam (25 points each, pass at 50)."""
    tag = f"H7-{uuid.uuid4().hex[:6]}"
    quizzes = _quizzes(tag)
    engine = make_engine(Settings(data_dir=data_dir).db_url)
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == "employee")).one()
            person = session.get(Person, user.person_id)
            assert person is not None
            where = {"enterprise_id": person.enterprise_id, "department_id": person.department_id}
            course = TrainingCourse(
                name=f"{tag} 有限空间作业安全", hours=2, state=DocumentState.PUBLISHED, **where
            )
            session.add(course)
            session.flush()
            material = CourseMaterial(
                course_id=course.id,
                title="有限空间作业十不准",
                body="作业前必须**先通风、再检测、后作业**，监护人不得离开。",
                min_minutes=1,
            )
            questions = [
                Question(
                    code=f"{tag}-{n}",
                    kind=q.kind,
                    stem=q.stem,
                    options=list(q.options),
                    answer=q.answer,
                    analysis="见《有限空间作业安全管理规定》。",
                )
                for n, q in enumerate(quizzes, start=1)
            ]
            session.add(material)
            session.add_all(questions)
            session.flush()
            session.add(
                StudyProgress(
                    person_id=person.id,
                    course_id=course.id,
                    material_id=material.id,
                    seconds=45,
                    **where,
                )
            )
            session.add(
                ExamPaper(
                    name=f"{tag} 有限空间作业考试",
                    course_id=course.id,
                    question_ids=[q.id for q in questions],
                    duration_minutes=20,
                    total_score=100,
                    pass_score=50,
                    shuffle_questions=False,
                    shuffle_options=False,
                    **where,
                )
            )
            session.add(
                TrainingAssignment(
                    person_id=person.id,
                    course_id=course.id,
                    source=AssignmentSource.MANUAL,
                    assigned_on=date.today(),
                    due_on=date.today() + timedelta(days=14),
                    **where,
                )
            )
            session.commit()
            return Prepared(
                course=course.name,
                person_id=person.id,
                question_ids={q.stem: q.id for q in questions},
                quizzes=quizzes,
            )
    finally:
        engine.dispose()


def _open_wrong(data_dir: Path, person_id: int) -> set[int]:
    """Question ids of the person's open (not mastered) wrong answers."""
    engine = make_engine(Settings(data_dir=data_dir).db_url)
    try:
        with Session(engine) as session:
            return set(
                session.exec(
                    select(WrongAnswer.question_id).where(
                        WrongAnswer.person_id == person_id,
                        col(WrongAnswer.mastered_at).is_(None),
                        col(WrongAnswer.deleted_at).is_(None),
                    )
                ).all()
            )
    finally:
        engine.dispose()


def _step(page: Page, artefacts_dir: Path, name: str) -> None:
    """Each screen fits the phone (no sideways scroll) and is kept for a person to look at."""
    _idle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.screenshot(path=str(artefacts_dir / SHOT.format(name)), full_page=True)


def _card(page: Page, text: str, inner: Locator) -> Locator:
    """The innermost block of the main area holding ``text`` and ``inner`` (a locator from
    ``page``: it is looked for inside each block)."""
    main = page.get_by_test_id("stMain")
    return main.get_by_test_id("stVerticalBlock").filter(has_text=text).filter(has=inner).last


def test_an_employee_studies_sits_the_exam_and_finds_the_wrong_answers_on_a_phone(
    browser: Browser, app_url: str, app_data_dir: Path, artefacts_dir: Path
) -> None:
    path = _prepare(app_data_dir)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        _study(page, app_url, path, artefacts_dir)
        _sit_exam(page, path, artefacts_dir)
        _wrong_book(page, app_url, path, app_data_dir, artefacts_dir)
    except Exception:
        page.screenshot(path=str(artefacts_dir / SHOT.format("FAILED")), full_page=True)
        raise
    finally:
        context.close()


def _study(page: Page, app_url: str, path: Prepared, artefacts_dir: Path) -> None:
    """My training → the assigned course → its material, completed by one server beat."""
    main = page.get_by_test_id("stMain")
    _login(page, app_url, "employee")
    main.get_by_role("link", name="我的培训考试", exact=True).click()
    expect(page.get_by_role("heading", name="我的培训任务")).to_be_visible(timeout=TIMEOUT)
    card = _card(page, path.course, page.get_by_role("link", name="进入课程"))
    expect(card).to_contain_text("已分配", timeout=TIMEOUT)
    expect(card.get_by_text("课程进度 75%")).to_be_visible()
    _step(page, artefacts_dir, "1_my_training")
    card.get_by_role("link", name="进入课程").click()

    expect(main.get_by_role("heading", name=path.course)).to_be_visible(timeout=TIMEOUT)
    _idle(page)
    expect(main.get_by_text("学完全部资料后即可参加考试。")).to_be_visible(timeout=TIMEOUT)
    _step(page, artefacts_dir, "2_course")
    _idle(page)
    main.get_by_role("button", name="开始学习").click()

    expect(main.get_by_role("heading", name="1. 有限空间作业十不准")).to_be_visible(timeout=TIMEOUT)
    _idle(page)  # the course page's elements linger until the run ends
    expect(main.get_by_text("先通风、再检测、后作业")).to_be_visible()
    expect(main.get_by_text("已学 0 分钟 / 要求 1 分钟")).to_be_visible(timeout=TIMEOUT)
    expect(main.get_by_text("学习时长由服务器计时", exact=False)).to_be_visible()
    _step(page, artefacts_dir, "3_material_open")
    # nothing but the server's next beat moves this on
    expect(main.get_by_text("本资料已达到学习时长要求。")).to_be_visible(timeout=BEAT_WAIT)
    expect(main.get_by_text("已学 1 分钟 / 要求 1 分钟")).to_be_visible()
    _step(page, artefacts_dir, "4_material_done")


def _sit_exam(page: Page, path: Prepared, artefacts_dir: Path) -> None:
    """Back to the course, start its exam, answer all four (two wrong), hand it in."""
    main = page.get_by_test_id("stMain")
    _idle(page)
    main.get_by_role("button", name="返回课程").click()
    expect(main.get_by_text("已学完")).to_be_visible(timeout=TIMEOUT)
    _idle(page)
    main.get_by_role("button", name="参加考试").click()

    clock = main.locator("[id^=exam-clock-]")
    expect(clock).to_have_text(re.compile(r"^剩余时间 (19|20):\d\d$"), timeout=TIMEOUT)
    expect(main.get_by_text(re.compile(r"页面打开时剩余 (19|20) 分"))).to_be_visible()
    _step(page, artefacts_dir, "5_exam_open")
    for n, quiz in enumerate(path.quizzes, start=1):
        block = _card(page, quiz.stem, page.get_by_role("radiogroup"))
        _idle(page)
        block.get_by_text(quiz.pick, exact=True).click()
        expect(main.get_by_text(f"✓ 已保存（第 {n} 题，", exact=False)).to_be_visible(
            timeout=TIMEOUT
        )
    _step(page, artefacts_dir, "6_exam_answered")

    main.get_by_role("button", name="交卷").click()
    expect(main.get_by_text("所有题目均已作答。确定交卷吗？", exact=False)).to_be_visible(
        timeout=TIMEOUT
    )
    expect(main.get_by_text(re.compile(r"已答 4/4 题"))).to_be_visible()  # as the server saw it
    confirm = main.get_by_role("button", name="确定交卷")
    confirm.scroll_into_view_if_needed()
    _step(page, artefacts_dir, "7_exam_confirm")
    confirm.click()
    expect(main.get_by_text("考试合格")).to_be_visible(timeout=TIMEOUT)
    expect(main.get_by_test_id("stMetricValue")).to_have_text("50 / 100")
    _step(page, artefacts_dir, "8_exam_result")


def _wrong_book(
    page: Page, app_url: str, path: Prepared, data_dir: Path, artefacts_dir: Path
) -> None:
    """The book holds exactly the two questions answered wrong, as the database does."""
    wrong = {path.question_ids[q.stem] for q in path.quizzes if q.wrong}
    right = {path.question_ids[q.stem] for q in path.quizzes if not q.wrong}
    in_db = _open_wrong(data_dir, path.person_id)
    assert len(wrong) == 2 and wrong <= in_db and not right & in_db, (wrong, right, in_db)

    main = page.get_by_test_id("stMain")
    page.goto(app_url + "/training_practice")
    expect(page.get_by_role("heading", name="错题本与练习")).to_be_visible(timeout=TIMEOUT)
    expect(main.get_by_text(f"我的错题（{len(in_db)}）")).to_be_visible(timeout=TIMEOUT)
    for quiz in path.quizzes:
        expect(main.get_by_text(quiz.stem, exact=True)).to_have_count(1 if quiz.wrong else 0)
    block = _card(page, path.quizzes[1].stem, page.get_by_text("正确答案：B"))
    expect(block.get_by_text("正确答案：B")).to_be_visible()
    _step(page, artefacts_dir, "9_wrong_book")
