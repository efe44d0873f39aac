"""The ``safeloop`` command: set up, run, back up and administer an installation.

Each subcommand is a thin wrapper over a function in ``core`` that the app and the tests call
too. Output is English (errors from the i18n catalogue in English); a failure prints one line
to stderr and exits non-zero, never a traceback (``--traceback`` shows it when debugging).
The database is migrated before any command touches it, except ``backup`` (a backup taken
before an upgrade must hold the old schema), ``restore`` (it is the way out of a database that
cannot be migrated) and ``db current`` (which reports rather than changes).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from core.cli.admin import (
    cmd_audit_anchor,
    cmd_audit_baseline,
    cmd_audit_verify,
    cmd_backup,
    cmd_export,
    cmd_import,
    cmd_restore,
    cmd_user_add,
)
from core.cli.jobs import cmd_detector_run, cmd_inspections_generate, cmd_remind, cmd_risk_refresh
from core.cli.output import LANG, CliError
from core.cli.setup import cmd_db_current, cmd_db_upgrade, cmd_demo, cmd_init, cmd_run
from core.config import get_settings
from core.demo import DemoError
from core.demogen import SCALES
from core.i18n import LANGUAGES, Translatable
from models.enums import Role, Scope

__all__ = ["build_parser", "cmd_risk_refresh", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safeloop", description="SafeLoop work-safety platform: setup and administration."
    )
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    p = command("init", cmd_init, "migrate the database and seed permissions")
    p.add_argument("--demo", action="store_true", help="load the demo organisation if no users")
    p = command("run", cmd_run, "set up the database and start the web app")
    p.add_argument("--demo-if-new", action="store_true", help="load the demo into a new database")
    p.add_argument("--port", type=int, help="port (default: settings.port)")
    p.add_argument("--host", help="address to bind (default: settings.host)")
    p = command(
        "remind",
        cmd_remind,
        "write the reminders every module has due and deliver them by e-mail and webhook (cron)",
    )
    p.add_argument("--today", help="date to check, YYYY-MM-DD (default: today, site time)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="list the notices and messages it would write and send; change nothing",
    )
    p.add_argument(
        "--no-deliver", action="store_true", help="write the in-app notices only, send nothing"
    )
    p = command("demo", cmd_demo, "load the demo organisation into a database without users")
    p.add_argument(
        "--scale",
        choices=sorted(SCALES, key=SCALES.get),
        default="S",
        help="S: one plant as in the seed figures; M: 10x; L: 100x transactional rows",
    )

    insp = sub.add_parser("inspections", help="inspection rounds").add_subparsers(
        dest="inspections_command", required=True, metavar="ACTION"
    )
    p = insp.add_parser("generate", help="create the rounds the plans have due (run from cron)")
    p.set_defaults(func=cmd_inspections_generate)
    p.add_argument("--today", help="YYYY-MM-DD (default: today, site time)")
    p.add_argument("--horizon", type=int, help="days ahead to create (default: a week)")

    db = sub.add_parser("db", help="schema migrations").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    db.add_parser("upgrade", help="apply pending migrations").set_defaults(func=cmd_db_upgrade)
    db.add_parser("current", help="show the schema revision").set_defaults(func=cmd_db_current)

    user = sub.add_parser("user", help="user accounts").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    p = user.add_parser("add", help="create a user account")
    p.set_defaults(func=cmd_user_add)
    p.add_argument("username")
    p.add_argument("--role", action="append", required=True, choices=[r.value for r in Role])
    p.add_argument("--name", help="display name (default: the user name)")
    p.add_argument("--enterprise", help="enterprise code or name")
    p.add_argument("--department", help="department name within --enterprise")
    p.add_argument("--park", help="park code or name (default: the enterprise's park)")
    p.add_argument("--scope", choices=[s.value for s in Scope], help="default: the role's")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--temporary", action="store_true", help="must change it at first log-in")

    aud = sub.add_parser("audit", help="audit trail").add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    p = aud.add_parser("verify", help="check the keyed hash chain against its anchors")
    p.set_defaults(func=cmd_audit_verify)
    p.add_argument(
        "--records", action="store_true", help="also name sealed records changed outside the app"
    )
    p = aud.add_parser("anchor", help="write the chain's head to the anchor file (run from cron)")
    p.set_defaults(func=cmd_audit_anchor)
    p = aud.add_parser(
        "baseline",
        help="key a chain written before the audit key and seal the records that have no seal "
        "(after an upgrade or a bulk load)",
    )
    p.set_defaults(func=cmd_audit_baseline)

    risk = sub.add_parser("risk", help="risk register").add_subparsers(
        dest="risk_command", required=True, metavar="ACTION"
    )
    p = risk.add_parser("refresh", help="recompute dynamic risk levels from open hazards")
    p.set_defaults(func=cmd_risk_refresh)

    det = sub.add_parser("detector", help="video detector service").add_subparsers(
        dest="detector_command", required=True, metavar="ACTION"
    )
    p = det.add_parser("run", help="run the cameras' pipelines (until Ctrl-C or the end)")
    p.set_defaults(func=cmd_detector_run)
    p.add_argument("--camera", type=int, action="append", metavar="ID", help="only this camera")
    p.add_argument("--max-frames", type=int, metavar="N", help="stop each camera after N frames")

    p = command("backup", cmd_backup, "write a backup archive (database and attachments)")
    p.add_argument("--to", help="folder or .zip path (default: <data dir>/backups)")
    p = command("restore", cmd_restore, "replace database and attachments with a backup")
    p.add_argument("archive")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = command("import", cmd_import, "import an Excel sheet into a table (all or nothing)")
    p.add_argument("table")
    p.add_argument("file")
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p = command("export", cmd_export, "export a table to Excel or CSV")
    p.add_argument("table")
    p.add_argument("--format", choices=["xlsx", "csv"], help="default: from --out's suffix")
    p.add_argument("--out", required=True)
    p.add_argument("--as", dest="as_user", required=True, metavar="USERNAME")
    p.add_argument("--search", help="only rows matching this text")
    p.add_argument("--lang", choices=LANGUAGES, help="column language (default: the user's)")
    return parser


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, Translatable):
        return exc.message(LANG)
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return f"configuration: {problems}"
    if isinstance(exc, SQLAlchemyError):
        return f"database: {str(exc).splitlines()[0]}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    if isinstance(exc, CliError | DemoError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``safeloop`` and ``python -m core.cli``; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error: argparse already printed why
        return int(exc.code or 0)
    try:
        return int(args.func(args, get_settings()))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.traceback:
            raise
        print(f"error: {_error_text(exc)}", file=sys.stderr)
        return 1
