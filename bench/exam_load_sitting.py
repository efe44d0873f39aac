"""One examinee's sitting for ``bench/bench_exam_load.py``, in either mode.

Server mode (``sit_in_browser``): a headless Streamlit tab (``exam_load_client.Browser``)
opens ``training_exam``, clicks the paper's start button at the spike, answers every question
shown (each change is one rerun, i.e. one autosave) after a think time, then submits in two
clicks. Engine mode (``sit_in_engine``): the same steps as calls of the domain entry points,
one ``session_scope`` per step as the page's callbacks do. Both note every step's seconds
and the stored form of every answer they saved, for the lost-answer check.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session

from bench.exam_load_client import Browser, Widget
from core.db import session_scope
from core.rbac import actor_for
from core.training.exam_attempts import save_answer, start_attempt, submit
from core.training.exam_view import paper_for_examinee
from core.training.rules import LETTERS
from models.accounts import User
from models.training_exam import QuestionKind

K = QuestionKind


@dataclass
class Plan:
    """What every examinee of a run does: the paper, when the spike is, how long they think."""

    paper_id: int
    spike_at: float  # time.monotonic() of 8:00
    start_spread: float
    think: tuple[float, float]
    seed: int = 0


@dataclass
class Record:
    """Step seconds by step name, errors, what each user saved (position → stored), and
    who handed their paper in."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    saved: dict[int, dict[int, str | None]] = field(default_factory=dict)
    submitted: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.seconds[step].append(seconds)

    def fail(self, who: int, step: str, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(f"user {who} at {step}: {type(exc).__name__}: {exc}"[:300])


def _text(rng: random.Random, n: int) -> str:
    return f"答案{n}-{rng.randrange(10_000)}"


def _pick_in_page(widget: Widget, rng: random.Random, n: int) -> tuple[object, str]:
    """(what the tab sends, what the database must then hold) for one question widget."""
    opts = widget.options
    if widget.kind == "multiselect":
        idx = sorted(rng.sample(range(len(opts)), rng.randint(1, len(opts))))
        return [opts[i] for i in idx], "".join(LETTERS[i] for i in idx)
    if widget.kind == "radio":
        i = rng.randrange(len(opts))
        lettered = opts[i].startswith(f"{LETTERS[i]}. ")
        return opts[i], (LETTERS[i] if lettered else "TF"[i])
    text = _text(rng, n)
    return text, text


def _pick_in_engine(kind: str, options: int, rng: random.Random, n: int) -> tuple[object, str]:
    if kind == K.MULTIPLE:
        letters = sorted(rng.sample(LETTERS[:options], rng.randint(1, options)))
        return letters, "".join(letters)
    if kind == K.SINGLE:
        letter = LETTERS[rng.randrange(options)]
        return letter, letter
    if kind == K.TRUE_FALSE:
        value = rng.choice("TF")
        return value, value
    text = _text(rng, n)
    return text, text


def _think(plan: Plan, rng: random.Random) -> float:
    return rng.uniform(*plan.think)


async def open_tab(port: int, user_id: int, token: str, rec: Record) -> Browser | None:
    """The examinee's phone shows the exam list before 8:00."""
    tab = Browser(port, token)
    try:
        rec.add("open", await tab.open("training_exam"))
    except Exception as exc:  # every failure is counted and shown
        rec.fail(user_id, "open", exc)
        await tab.close()
        return None
    return tab


async def sit_in_browser(tab: Browser, user_id: int, plan: Plan, rec: Record) -> None:
    rng = random.Random(plan.seed * 1_000_003 + user_id)
    saved: dict[int, str | None] = {}
    rec.saved[user_id] = saved
    step = "start"
    try:
        await asyncio.sleep(max(0.0, plan.spike_at - time.monotonic()))
        await asyncio.sleep(rng.uniform(0, plan.start_spread))
        rec.add("start", await tab.click(f"exam_start_{plan.paper_id}"))
        attempt = tab.query.partition("=")[2]
        prefix = f"exam_{attempt}_"
        positions = sorted(int(k[len(prefix) :]) for k in tab.page.widgets if k.startswith(prefix))
        step = "save"
        for position in positions:
            await asyncio.sleep(_think(plan, rng))
            sent, stored = _pick_in_page(tab.page.widgets[f"{prefix}{position}"], rng, position)
            rec.add("save", await tab.set(f"{prefix}{position}", sent))
            saved[position] = stored
        await asyncio.sleep(_think(plan, rng))
        step = "submit"
        rec.add("confirm", await tab.click("exam_submit"))
        rec.add("submit", await tab.click("exam_submit_yes", alerts_ok=True))
        rec.submitted.add(user_id)
    except Exception as exc:  # every failure is counted and shown
        rec.fail(user_id, step, exc)
    finally:
        await tab.close()


def _timed(rec: Record, step: str, began: float) -> None:
    rec.add(step, time.perf_counter() - began)


def sit_in_engine(user_id: int, plan: Plan, rec: Record) -> None:
    rng = random.Random(plan.seed * 1_000_003 + user_id)
    saved: dict[int, str | None] = {}
    rec.saved[user_id] = saved
    step = "start"
    try:
        with session_scope() as s:
            actor = actor_for(s, s.get(User, user_id))  # the page's log-in: not timed
        time.sleep(max(0.0, plan.spike_at - time.monotonic()) + rng.uniform(0, plan.start_spread))
        began = time.perf_counter()
        with session_scope() as s:
            attempt_id = start_attempt(s, actor, plan.paper_id).id or -1
            s.flush()
            items = [(i.position, i.kind, len(i.options)) for i in _view(s, actor, attempt_id)]
        _timed(rec, "start", began)
        step = "save"
        for position, kind, options in items:
            time.sleep(_think(plan, rng))
            sent, stored = _pick_in_engine(kind, options, rng, position)
            began = time.perf_counter()
            with session_scope() as s:
                save_answer(s, actor, attempt_id, position, sent)  # type: ignore[arg-type]
            _timed(rec, "save", began)
            saved[position] = stored
        time.sleep(_think(plan, rng))
        step = "submit"
        began = time.perf_counter()
        with session_scope() as s:
            submit(s, actor, attempt_id)
        _timed(rec, "submit", began)
        rec.submitted.add(user_id)
    except Exception as exc:  # every failure is counted and shown
        rec.fail(user_id, step, exc)


def _view(session: Session, actor: object, attempt_id: int) -> list:
    """The paper as the page shows it after the start (part of the start's cost there too)."""
    return list(paper_for_examinee(session, actor, attempt_id).items)  # type: ignore[arg-type]
