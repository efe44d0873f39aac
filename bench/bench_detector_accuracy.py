"""Detector accuracy: precision and recall of the violations against the synthetic truth.

    nice .venv/bin/python bench/bench_detector_accuracy.py [--seeds 1 2 3 4 5] [--frames 600]
        [--people 6] [--model data/models/x.onnx] [--no-model]

Each seed is a 640x360 production scene at 10 fps with one rule of each kind
(``detectors.accuracy.default_rules``: cooldown 20 s). The reference alarms come from the scene's
ground truth; the pipeline (ByteTrack, PPE association, rule engine) runs on the truth made worse
by ``detectors.accuracy.Noise`` at several levels, then on the shipped ONNX model at conf 0.25
(when ONNX Runtime and the model are there). False boxes are run at min_frames 1, 3 and 5 to show
what inertia buys. Counts are summed over the seeds; prints a markdown table: precision / recall
per rule kind, then the totals.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import REPO_ROOT
from detectors.accuracy import Noise, Score, default_rules, evaluate
from detectors.backends import Backend, OnnxBackend
from models.video import RuleKind

MODEL = REPO_ROOT / "data" / "models" / "ppe_synth_yolo11n.onnx"
URI = "synthetic://production?seed={seed}&people={people}&width=640&height=360&fps=10"
LEVELS = {
    "none": Noise(),
    "light": Noise(missed_frames=0.02, missed_boxes=0.05, jitter=0.02, false_boxes=0.02),
    "moderate": Noise(missed_frames=0.05, missed_boxes=0.10, jitter=0.05, false_boxes=0.05),
    "heavy": Noise(missed_frames=0.10, missed_boxes=0.20, jitter=0.10, false_boxes=0.10),
    "missed frames only (p 0.2)": Noise(missed_frames=0.20),
    "jittered boxes only (0.05)": Noise(jitter=0.05),
    "false boxes only (0.1/frame)": Noise(false_boxes=0.10),
}
INERTIA = (1, 5)  # extra min_frames for the false boxes (3 is in every row)


def run(
    label: str,
    seeds: list[int],
    people: int,
    frames: int,
    *,
    noise: Noise | None = None,
    min_frames: int = 3,
    backend: Backend | None = None,
) -> tuple[str, int, dict[str, Score], float]:
    """One row: the scores of every seed summed per rule kind, and the seconds it took."""
    total: dict[str, Score] = {str(kind): Score() for kind in RuleKind}
    start = time.perf_counter()
    for seed in seeds:
        uri = URI.format(seed=seed, people=people)
        report = evaluate(uri, frames, default_rules(uri, min_frames=min_frames),
                          noise=replace(noise or Noise(), seed=seed), backend=backend)  # fmt: skip
        for kind, score in report.scores.items():
            total[kind] += score
    return label, min_frames, total, time.perf_counter() - start


def cell(value: float) -> str:
    return "–" if value != value else f"{value:.2f}"  # NaN: nothing expected or nothing hit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--no-model", action="store_true")
    args = parser.parse_args()
    common = (args.seeds, args.people, args.frames)
    rows = [run(label, *common, noise=noise) for label, noise in LEVELS.items()]
    false_only = LEVELS["false boxes only (0.1/frame)"]
    rows += [run("false boxes only (0.1/frame)", *common, noise=false_only, min_frames=mf)
             for mf in INERTIA]  # fmt: skip
    has_model = importlib.util.find_spec("onnxruntime") is not None and args.model.is_file()
    if has_model and not args.no_model:
        backend = OnnxBackend(args.model, None, {}, conf=0.25)
        rows.append(run(f"{args.model.name} conf 0.25", *common, backend=backend))
    elif not args.no_model:
        print(f"(model row skipped: no onnxruntime or no {args.model})\n")
    print(f"{len(args.seeds)} seeds x {args.frames} frames (10 fps), {args.people} people, "
          f"640x360; {os.cpu_count()} CPUs; each cell precision / recall\n")  # fmt: skip
    kinds = [str(kind) for kind in RuleKind]
    print("| detector | min_frames | " + " | ".join(kinds) + " | tp | fp | fn | P | R | F1 | s |")
    print("|---|---:|" + "---:|" * (len(kinds) + 7))
    for label, min_frames, scores, seconds in rows:
        per_kind = [f"{cell(s.precision)} / {cell(s.recall)}" for s in scores.values()]
        all_ = sum(scores.values(), Score())
        print(f"| {label} | {min_frames} | " + " | ".join(per_kind)
              + f" | {all_.tp} | {all_.fp} | {all_.fn} | {cell(all_.precision)}"
              f" | {cell(all_.recall)} | {cell(all_.f1)} | {seconds:.0f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
