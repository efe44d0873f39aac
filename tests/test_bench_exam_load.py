"""The exam-load benchmark still runs (engine mode, three examinees, no think time): every
examinee starts, saves every answer and submits, and every saved answer is in the database.
Times are printed by the benchmark, never asserted here."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.bench_exam_load import run_engine
from bench.exam_load_world import build, database, lost_answers


def test_three_examinees_sit_the_paper_without_losing_an_answer(tmp_path: Path) -> None:
    args = argparse.Namespace(think=(0.0, 0.0), start_spread=0.0)
    with database("sqlite", tmp_path):
        world = build(3, 8)
        rec = run_engine(world, args)["rec"]
        checked, lost, still_open, _ = lost_answers(rec.saved, rec.submitted)
    assert rec.errors == []
    assert len(rec.submitted) == 3 and len(rec.seconds["save"]) == 3 * world.questions
    assert (checked, lost, still_open) == (3 * world.questions, 0, 0)
