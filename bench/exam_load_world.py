"""The exam-load benchmark's world (``bench/bench_exam_load.py``): a fresh database with N
examinees, each a person with an employee account and a live log-in session, and one
rule-set paper drawn from the shipped question bank. Built before anything is timed.

Also what is checked after the run: every answer a client saved against
``attempt_item.answer_given`` once the attempts were submitted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from core import sessions
from core.config import Settings, get_settings
from core.db import get_engine, reset_engines, session_scope
from core.init_db import initialise
from models.accounts import User
from models.enums import Role
from models.training_exam import (
    AttemptItem,
    AttemptState,
    ExamAttempt,
    ExamPaper,
    ExamPaperRule,
    Question,
    QuestionKind,
)
from tests.factories import build_org, person, user
from tests.pg import create_database, database_url, drop_database

K = QuestionKind
#: The paper's mix per 20 questions: (kind, share of the paper, points each); 100 points.
MIX = ((K.SINGLE, 8, 4.0), (K.MULTIPLE, 4, 6.0), (K.TRUE_FALSE, 5, 4.0), (K.FILL_IN, 3, 8.0))
PAPER_NAME = "负载测试：全员安全考试"


@dataclass(frozen=True)
class Examinee:
    n: int
    user_id: int
    token: str  # the log-in cookie's value (``core.sessions.COOKIE``)


@dataclass(frozen=True)
class World:
    settings: Settings
    paper_id: int
    questions: int
    examinees: list[Examinee]


@contextmanager
def database(kind: str, data_dir: Path) -> Iterator[dict[str, str]]:
    """The environment that points the app (this process and the server) at a new, empty
    database of ``kind``: SQLite in ``data_dir``, or a throw-away PostgreSQL database."""
    env = {"SAFELOOP_DATA_DIR": str(data_dir), "SAFELOOP_DEMO": "0"}
    name = create_database() if kind == "postgres" else None
    if name is not None:
        env["DATABASE_URL"] = database_url(name)
    saved = {k: os.environ.get(k) for k in (*env, "DATABASE_URL")}
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    get_settings.cache_clear()
    reset_engines()
    try:
        yield env
    finally:
        reset_engines()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
        if name is not None:
            drop_database(name)


def _rules(session: Session, paper: ExamPaper, questions: int) -> int:
    """Rule lines for about ``questions`` questions in MIX's proportions, capped by what the
    bank holds of each kind; the paper's total is theirs. Returns the question count."""
    have = dict(
        session.exec(
            select(Question.kind, func.count())
            .where(col(Question.deleted_at).is_(None))
            .group_by(col(Question.kind))
        ).all()
    )
    total, points_total = 0, 0.0
    for pos, (kind, share, points) in enumerate(MIX, start=1):
        count = min(max(1, round(questions * share / 20)), have.get(kind, 0))
        if count:
            session.add(
                ExamPaperRule(
                    paper_id=paper.id, position=pos, kind=kind, count=count, points_each=points
                )
            )
            total, points_total = total + count, points_total + count * points
    paper.total_score, paper.pass_score = points_total, points_total * 0.6
    session.add(paper)
    return total


def build(n: int, questions: int) -> World:
    """Migrate and load the reference data (the shipped bank) as ``safeloop run`` would, then
    add the organisation, N examinees with sessions, and the paper (45 min, shuffled)."""
    settings = get_settings()
    initialise(settings, demo=False)
    with session_scope(get_engine(settings)) as s:
        org = build_org(s)
        users = []
        for i in range(n):
            p = person(s, org.ent1, org.dept_a, name=f"考生{i:04d}", employee_no=f"X{i:05d}")
            users.append(
                user(
                    s,
                    settings,
                    f"examinee{i:04d}",
                    Role.EMPLOYEE,
                    enterprise_id=org.ent1,
                    department_id=org.dept_a,
                    person_id=p.id,
                ).id
            )
        paper = ExamPaper(
            name=PAPER_NAME,
            enterprise_id=org.ent1,
            duration_minutes=45,
            total_score=100,
            pass_score=60,
            shuffle_questions=True,
            shuffle_options=True,
            attempts_allowed=1,
        )
        s.add(paper)
        s.flush()
        count = _rules(s, paper, questions)
        tokens = []
        for user_id in users:
            issued = sessions.create(s, user_id, settings, user_agent="bench_exam_load")
            tokens.append(sessions.exchange(s, issued.ticket, settings) or "")
        paper_id = paper.id or -1
    examinees = [Examinee(i, u, t) for i, (u, t) in enumerate(zip(users, tokens, strict=True))]
    return World(settings, paper_id, count, examinees)


def lost_answers(
    saved: dict[int, dict[int, str | None]], submitted: set[int]
) -> tuple[int, int, int, list[str]]:
    """Compare what each client saved (user id → position → stored form) with the database
    after submit: (answers checked, answers lost or different, attempts whose submit a client
    saw succeed that are still open, first differences)."""
    engine = get_engine(get_settings())
    checked, lost, open_, shown = 0, 0, 0, []
    with Session(engine) as s:
        person_of = dict(s.exec(select(User.id, User.person_id)).all())
        rows = s.exec(
            select(ExamAttempt.person_id, ExamAttempt.state, AttemptItem).join(
                AttemptItem, col(AttemptItem.attempt_id) == ExamAttempt.id
            )
        ).all()
    stored: dict[int, dict[int, str | None]] = {}
    states: dict[int, str] = {}
    for person_id, state, item in rows:
        stored.setdefault(person_id, {})[item.position] = item.answer_given
        states[person_id] = state
    for user_id, answers in saved.items():
        person_id = person_of.get(user_id)
        in_db = stored.get(person_id or -1, {})
        if user_id in submitted and states.get(person_id or -1) == AttemptState.IN_PROGRESS:
            open_ += 1
            shown.append(f"user {user_id}: attempt not submitted")
        for position, value in answers.items():
            checked += 1
            if in_db.get(position) != value:
                lost += 1
                if len(shown) < 5:
                    shown.append(
                        f"user {user_id} #{position}: sent {value!r}, db {in_db.get(position)!r}"
                    )
    return checked, lost, open_, shown
