"""What a table-declaration lookup costs: ``get_spec`` is called about three times per row by an
Excel import (30,004 calls for 10,000 rows), so its price decides the import's speed.

Times ``core.crud.registry.get_spec("person")``, ``all_specs()`` and ``get_spec`` for every
table, in a fresh interpreter per checkout; ``--against DIR`` runs the same timing on another
checkout (e.g. a ``git worktree`` of an older commit) and prints both side by side.

    .venv/bin/python bench/bench_registry.py [--calls 30000] [--against /tmp/old]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Runs inside the checkout under test: imports its own core, times the three lookups.
PROBE = """
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from core.crud.registry import all_specs, get_spec
names = [s.name for s in all_specs()]
first = time.perf_counter() - t0

def per_call(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6

n = {calls}
print(json.dumps({{
    "tables": len(names),
    "first load (ms)": first * 1e3,
    "get_spec (µs/call)": per_call(lambda: get_spec("person"), n),
    "all_specs (µs/call)": per_call(all_specs, max(1, n // 100)),
    "get_spec, every table (µs/table)": per_call(
        lambda: [get_spec(x) for x in names], max(1, n // 100)) / len(names),
}}))
"""


def measure(root: Path, calls: int) -> dict[str, float]:
    code = PROBE.format(root=str(root), calls=calls)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30_000)
    parser.add_argument("--against", type=Path, help="another checkout to time the same way")
    args = parser.parse_args()
    roots = {"this checkout": ROOT}
    if args.against:
        roots[f"{args.against}"] = args.against.resolve()
    results = {name: measure(root, args.calls) for name, root in roots.items()}
    keys = list(next(iter(results.values())))
    width = max(len(k) for k in keys)
    print(f"{'':{width}}  " + "  ".join(f"{name:>22}" for name in results))
    for key in keys:
        print(f"{key:{width}}  " + "  ".join(f"{r[key]:>22,.1f}" for r in results.values()))


if __name__ == "__main__":
    main()
