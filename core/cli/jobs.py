"""The commands cron runs: reminders (and their delivery), inspection rounds, dynamic risk,
and the detector."""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from datetime import date

from sqlmodel import Session

from core import migrate
from core.cli.output import safe_url, say
from core.clock import site_today
from core.config import Settings
from core.db import get_engine, session_scope, utcnow
from core.delivery.prefs import CHANNELS
from core.delivery.run import Outbound, Report, deliver, inbox_lines, last_notice_id
from core.inbox import send_reminders
from core.inspection.schedule import HORIZON_DAYS, generate_tasks
from core.risk.dynamic import refresh_all


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    """For cron: write the notices every installed module has due today (site time), commit
    them, then deliver them by e-mail and webhook (``--no-deliver``: the inbox only).
    ``--dry-run`` lists the notices and messages a run would write and send, and rolls back.
    Failed deliveries are reported, not fatal: the next run retries them."""
    migrate.upgrade(settings)
    today = date.fromisoformat(args.today) if args.today else site_today()
    with Session(get_engine(settings), expire_on_commit=False) as session:
        try:
            newest = last_notice_id(session)
            for name, count in send_reminders(session, today):
                say(f"{name}: {count} new notices ({today})")
            if args.dry_run:
                _say_messages(inbox_lines(session, settings, newest))
            else:
                session.commit()
            if not args.no_deliver:
                report = deliver(session, settings, utcnow(), dry_run=args.dry_run)
                _say_deliveries(report)
        finally:
            session.rollback()  # a dry run's writes; after a real run there is nothing left
    if args.dry_run:
        say("dry run: nothing was written or sent")
    return 0


def _say_messages(messages: list[Outbound]) -> None:
    for message in messages:
        say(f"{message.channel} to {message.target} ({message.recipients}, {message.language}):")
        say(textwrap.indent(message.text, "    "))


def _say_deliveries(report: Report) -> None:
    _say_messages(report.outbound)
    for channel in CHANNELS:
        say(
            f"{channel}: {report.planned[channel]} new deliveries, "
            f"{report.sent[channel]} sent, {report.failed[channel]} failed"
        )


def cmd_inspections_generate(args: argparse.Namespace, settings: Settings) -> int:
    """For cron: create the inspection rounds the plans have due (idempotent; site time)."""
    migrate.upgrade(settings)
    today = date.fromisoformat(args.today) if args.today else site_today()
    horizon = HORIZON_DAYS if args.horizon is None else args.horizon
    with session_scope(get_engine(settings)) as session:
        report = generate_tasks(session, today=today, horizon_days=horizon)
    for plan_id, days in sorted(report.created.items()):
        span = days[0].isoformat() if len(days) == 1 else f"{days[0]} .. {days[-1]}"
        say(f"plan {plan_id}: {len(days)} round(s) due {span}")
    raced = f"; {report.raced} plan(s) done by another run" if report.raced else ""
    say(f"inspection rounds created: {report.tasks} from {len(report.created)} plan(s){raced}")
    return 0


def cmd_risk_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute every risk point's dynamic level from its hazards (after an import, a
    migration or a change of ``dynamic_risk_threshold``)."""
    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        changed = refresh_all(session)
    say(f"dynamic risk refreshed: {changed} risk points changed")
    return 0


def cmd_detector_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the video detector on the enabled cameras until Ctrl-C / SIGTERM, or until every
    camera has come to an end (a file source, ``--max-frames``). The detector's packages are
    imported here only, so the app never loads ONNX Runtime."""
    # Measured: importing the detector's pipeline (supervision, OpenCV, trackers) after the CLI
    # takes 0.5-0.8 s on a 2-core machine; every other command, ``run`` included, skips it.
    from detectors.service import run as run_detector

    migrate.upgrade(settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    which = ", ".join(map(str, args.camera)) if args.camera else "all enabled"
    say(f"detector starting: cameras {which}, database {safe_url(settings)}")
    summary = run_detector(settings, args.camera or None, max_frames=args.max_frames)
    for camera_id, camera in sorted(summary["cameras"].items()):
        ms = camera["ms_per_frame"]
        stages = ", ".join(f"{k} {v:.1f}" for k, v in ms.items() if v is not None)
        say(
            f"camera {camera_id} ({camera['name']}): {camera['frames']} frames, "
            f"{camera['violations']} violations committed; ms/frame {stages or '-'}"
        )
        if camera["error"]:
            print(f"camera {camera_id}: {camera['error']}", file=sys.stderr)
    total = f"{summary['frames']} frames, {summary['violations']} violations committed"
    say(f"detector stopped: {total}")
    return 1 if summary["errors"] and not summary["frames"] else 0
