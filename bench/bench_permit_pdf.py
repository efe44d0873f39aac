"""Printable permit PDF: median ms to print one permit with its readings and signatures.

    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python -m core.cli demo --scale S
    SAFELOOP_DATA_DIR=/tmp/demoS .venv/bin/python bench/bench_permit_pdf.py [-n 50] [--lang en]

Takes the ``n`` newest permits of the demo that have at least one gas reading and two
signatures, prints each once after a warm-up (the CID font's metrics load once per process)
and reports the median, p90 and extremes of ``core.permit.printout.permit_pdf`` as the page
calls it: scope check, every read, layout, PDF bytes and the audit entry. The "read" and
"layout" columns split the same work: reading rows and building the story, then reportlab's
layout and writing. Everything happens in one transaction that is rolled back: the demo
database is left as it was.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, func, select

import core.crud.registry  # noqa: F401  (registers the tables)
from core import pdf_kit
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.db import get_engine
from core.permit import printout as permit_print
from core.rbac import actor_for
from models.accounts import User
from models.permit import PermitGasReading, PermitSignature


def pick(session: Session, n: int) -> list[int]:
    readings = (
        select(PermitGasReading.permit_id)
        .group_by(PermitGasReading.permit_id)
        .having(func.count() >= 1)
    )
    signed = (
        select(PermitSignature.permit_id)
        .group_by(PermitSignature.permit_id)
        .having(func.count() >= 2)
    )
    stmt = (
        select(PermitSignature.permit_id)
        .where(col(PermitSignature.permit_id).in_(readings))
        .where(col(PermitSignature.permit_id).in_(signed))
        .distinct()
        .order_by(col(PermitSignature.permit_id).desc())
        .limit(n)
    )
    return list(session.exec(stmt).all())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="permits to print")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--lang", default="zh-CN")
    args = parser.parse_args()
    engine = get_engine()
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == args.user)).one()
        actor = actor_for(session, user)
        ids = pick(session, args.n)
        if not ids:
            sys.exit("no permit with readings and signatures: build the demo first")
        permit_print.permit_pdf(session, actor, ids[0], args.lang)  # warm-up
        total, read, layout, sizes = [], [], [], []
        for permit_id in ids:
            start = time.perf_counter()
            data = permit_print.permit_pdf(session, actor, permit_id, args.lang)
            total.append((time.perf_counter() - start) * 1000)
            sizes.append(len(data))
            start = time.perf_counter()
            permit = get_row(session, get_spec("permit"), actor, permit_id)
            story = permit_print._Permit(session, permit, args.lang).story()
            mid = time.perf_counter()
            pdf_kit.build(story, "bench", "bench")
            read.append((mid - start) * 1000)
            layout.append((time.perf_counter() - mid) * 1000)
        session.rollback()  # the audit entries of the prints
    print(
        f"permits printed: {len(ids)} ({engine.dialect.name}, {args.lang}), "
        f"size median {statistics.median(sizes) / 1024:.1f} KiB"
    )
    print(
        f"permit PDF: median {statistics.median(total):.1f} ms, p90 {pct(total, 0.9):.1f} ms, "
        f"min {min(total):.1f} ms, max {max(total):.1f} ms"
    )
    print(
        f"  of which read + story median {statistics.median(read):.1f} ms, "
        f"layout + write median {statistics.median(layout):.1f} ms"
    )


if __name__ == "__main__":
    main()
