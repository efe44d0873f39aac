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
import getpass
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

from pydantic import ValidationError
from sqlalchemy import or_
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from core import audit, backup, migrate
from core.auth import create_user
from core.config import REPO_ROOT, Settings, get_settings
from core.crud import excel
from core.crud.registry import TableSpec, all_specs
from core.crud.service import ListQuery, list_rows
from core.db import get_engine, session_scope
from core.demo import DEMO_PASSWORD, DemoError, DemoLogin
from core.demogen import SCALES
from core.i18n import LANGUAGES, Translatable, enum_label, has, t
from core.init_db import InitResult, initialise
from core.maintenance import make_backup, restore_backup
from core.rbac import SYSTEM, Actor, actor_for
from models.accounts import User
from models.enums import Role, Scope
from models.org import Department, Enterprise, Park

OrgRow = TypeVar("OrgRow", Park, Enterprise, Department)
LANG = "en"
APP_FILE = REPO_ROOT / "streamlit_app.py"


class CliError(Exception):
    """A refusal the user can act on; printed as one line, exit code 1."""


# ------------------------------------------------------------------------------ output


class ProgressLine:
    """Progress on stderr: on a terminal one line rewritten in place (carriage return); in a
    log file one plain line per new step instead, so logs stay readable."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.width = 0
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        text = _readable(message)
        if self.live:
            text = f"{max(0.0, min(1.0, fraction)) * 100:3.0f}% {text}"
        if text == self.last:
            return
        if self.live:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.last = text

    def close(self) -> None:
        if self.live and self.width:
            self.stream.write("\n")
            self.stream.flush()


@contextmanager
def progress_line() -> Iterator[ProgressLine]:
    line = ProgressLine()
    try:
        yield line
    finally:
        line.close()


def _readable(message: str) -> str:
    """Progress messages may be catalogue keys (backup) or text (imports, init)."""
    if has(message, LANG):
        return t(message, LANG)
    if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", message):
        return message.rsplit(".", 1)[-1].replace("_", " ")
    return message


def say(text: str = "") -> None:
    print(text, flush=True)


def _safe_url(settings: Settings) -> str:
    return make_url(settings.db_url).render_as_string(hide_password=True)


def demo_lines(logins: tuple[DemoLogin, ...]) -> list[str]:
    """The demo accounts in both languages, for the console of the person who started it."""
    lines = [
        f"演示账号（密码均为 {DEMO_PASSWORD}）/ Demo log-ins (password {DEMO_PASSWORD} for all):"
    ]
    width = max(len(login.username) for login in logins)
    for login in logins:
        role = Role(login.role)
        labels = f"{enum_label(role, 'zh-CN')} / {enum_label(role, LANG)}"
        name = (
            "" if login.display_name == enum_label(role, "zh-CN") else f"  ({login.display_name})"
        )
        lines.append(f"  {login.username:<{width}}  {labels}{name}")
    return lines


def _report_init(settings: Settings, result: InitResult) -> None:
    say(f"database: {_safe_url(settings)} (schema {result.revision})")
    if result.permissions_seeded:
        say(f"permission matrix seeded: {result.permissions_seeded} grants")
    if result.demo:
        counts = ", ".join(f"{table} {n}" for table, n in result.demo.counts.items())
        say(f"demo organisation loaded: {counts}")
    if result.demo_logins:
        for line in demo_lines(result.demo_logins):
            say(line)
    elif result.new:
        say("no user accounts yet: create the administrator in the browser on first start,")
        say("  or run: safeloop user add admin --role admin")


# ------------------------------------------------------------------------------ helpers


def _initialise(settings: Settings, demo: bool, scale: str = "S") -> InitResult:
    with progress_line() as line:
        return initialise(settings, demo=demo, scale=scale, progress=line)


def _actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username.strip())).first()
    if user is None or user.deleted_at is not None or not user.active:
        raise CliError(f"no active user account named {username!r}")
    return actor_for(session, user)


def _spec(name: str, *, importing: bool = False) -> TableSpec:
    specs = {s.name: s for s in all_specs()}
    spec = specs.get(name)
    if spec is None:
        raise CliError(f"unknown table {name!r}; choose one of: {', '.join(sorted(specs))}")
    if importing and not spec.allow_create:
        raise CliError(f"table {name!r} does not take imports")
    return spec


def _one(session: Session, model: type[OrgRow], value: str, *where: Any) -> OrgRow:
    """A park, enterprise or department by code or exact name."""
    match = or_(model.name == value, model.code == value)
    rows = session.exec(select(model).where(match, *where)).all()
    label = model.__name__.lower()
    if not rows:
        raise CliError(f"no {label} with code or name {value!r}")
    if len(rows) > 1:
        raise CliError(f"{value!r} matches {len(rows)} {label} rows; use the code")
    return rows[0]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CliError(t("login.passwords_differ", LANG))
    if not password:
        raise CliError("no password given")
    return password


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(data)
    os.replace(part, path)


# ------------------------------------------------------------------------------ commands


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    result = _initialise(settings, args.demo)
    _report_init(settings, result)
    if args.demo and result.demo is None:
        say("demo not loaded: the database already has user accounts")
    say(f"ready in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    result = _initialise(settings, demo=True, scale=args.scale)
    if result.demo is None:
        raise CliError("the database already has user accounts; the demo needs one without")
    _report_init(settings, result)
    return 0


def _wants_demo(args: argparse.Namespace, settings: Settings) -> bool:
    """``--demo-if-new`` unless the configuration says ``demo = false`` (SAFELOOP_DEMO=0)."""
    if "demo" in settings.model_fields_set:
        return settings.demo
    return args.demo_if_new


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if not APP_FILE.exists():
        raise CliError(f"{APP_FILE} is missing; is this a complete SafeLoop checkout?")
    host = args.host or settings.host
    port = args.port or settings.port
    _report_init(settings, _initialise(settings, _wants_demo(args, settings)))
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    say(f"SafeLoop 正在启动 / is starting: http://{shown}:{port}")
    # The app reads the same settings; make relative paths survive the chdir below, which
    # streamlit needs to find the repo's .streamlit/config.toml.
    os.environ["SAFELOOP_DATA_DIR"] = str(settings.data_dir.resolve())
    if os.environ.get("SAFELOOP_CONFIG"):
        os.environ["SAFELOOP_CONFIG"] = str(Path(os.environ["SAFELOOP_CONFIG"]).resolve())
    os.environ.update(SAFELOOP_HOST=host, SAFELOOP_PORT=str(port))
    flags = {"server.port": port, "server.address": host, "server.headless": "true"}
    flags["browser.gatherUsageStats"] = "false"
    flags["server.maxUploadSize"] = str(settings.max_upload_mb)  # the uploader says the real limit
    argv = [sys.executable, "-m", "streamlit", "run", str(APP_FILE)]
    argv += [arg for name, value in flags.items() for arg in (f"--{name}", str(value))]
    os.chdir(REPO_ROOT)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # no exec on Windows: wait for the child and pass its code on
        try:
            return subprocess.call(argv)
        except KeyboardInterrupt:
            return 130
    os.execv(sys.executable, argv)
    return 0  # not reached


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    say(f"database at revision {migrate.current_revision(get_engine(settings))} (head)")
    return 0


def cmd_db_current(args: argparse.Namespace, settings: Settings) -> int:
    current = migrate.current_revision(get_engine(settings))
    head = migrate.head_revision()
    state = "up to date" if current == head else "upgrade pending: run `safeloop db upgrade`"
    say(f"current: {current or 'none (empty database)'}")
    say(f"head:    {head} ({state})")
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    password = _read_password(args.password_stdin)
    with session_scope(get_engine(settings)) as session:
        enterprise = _one(session, Enterprise, args.enterprise) if args.enterprise else None
        if args.department and enterprise is None:
            raise CliError("--department needs --enterprise")
        department = (
            _one(session, Department, args.department, Department.enterprise_id == enterprise.id)
            if args.department
            else None
        )
        park = _one(session, Park, args.park) if args.park else None
        user = create_user(
            session,
            SYSTEM,
            settings,
            username=args.username,
            display_name=args.name or args.username,
            password=password,
            roles=list(dict.fromkeys(args.role)),
            scope=Scope(args.scope) if args.scope else None,
            park_id=park.id if park else getattr(enterprise, "park_id", None),
            enterprise_id=getattr(enterprise, "id", None),
            department_id=getattr(department, "id", None),
            must_change_password=args.temporary,
        )
        say(f"created user {user.username} (roles {', '.join(user.roles)}, scope {user.scope})")
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        report = audit.verify(session)
    if report.ok:
        say(f"audit chain OK: {report.checked} entries")
        return 0
    where = f" (id {report.bad_id})" if report.bad_id is not None else ""
    print(
        f"audit chain BROKEN at entry seq {report.bad_seq}{where}: {report.reason}", file=sys.stderr
    )
    return 1


def cmd_risk_refresh(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute every risk point's dynamic level from its hazards (after an import, a
    migration or a change of ``dynamic_risk_threshold``)."""
    from core.dynamic_risk import refresh_all

    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        changed = refresh_all(session)
    say(f"dynamic risk refreshed: {changed} risk points changed")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    with progress_line() as line:
        path = make_backup(SYSTEM, settings, Path(args.to) if args.to else None, progress=line)
    say(f"backup written: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    archive = Path(args.archive)
    manifest = backup.read_manifest(archive)
    say(
        f"archive: {archive} (made {manifest.get('created_at')}, "
        f"schema {manifest.get('alembic_revision')}, {len(manifest['files'])} files)"
    )
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("restore replaces the database and attachments; add --yes to confirm")
        answer = input(f"Replace the database and attachments in {settings.data_dir}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            say("restore cancelled")
            return 1
    with progress_line() as line:
        restore_backup(SYSTEM, settings, archive, progress=line)
    say(f"restored from {archive}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    spec = _spec(args.table, importing=True)
    path = Path(args.file)
    data = path.read_bytes()
    with session_scope(get_engine(settings)) as session, progress_line() as line:
        actor = _actor(session, args.as_user)
        # All or nothing is import_rows' job: on errors it inserts no row (only an audit entry).
        result = excel.import_rows(
            session, spec, actor, data, LANG, filename=path.name, progress=line
        )
    if not result.ok:
        for error in result.errors:
            column = f", column {error.column}" if error.column else ""
            print(f"row {error.row}{column}: {error.message}", file=sys.stderr)
        print(f"nothing imported: {len(result.errors)} problem(s) in {path.name}", file=sys.stderr)
        return 1
    say(f"imported {result.created} rows into {spec.name}")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    spec = _spec(args.table)
    out = Path(args.out)
    fmt = args.format or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    with session_scope(get_engine(settings)) as session, progress_line() as line:
        actor = _actor(session, args.as_user)
        lang = args.lang or actor.language
        search = args.search or ""
        rows = list_rows(session, spec, actor, ListQuery(search=search, page_size=1)).total
        data = excel.export(
            session, spec, actor, ListQuery(search=search), fmt, lang, progress=line
        )
        _write_atomic(out, data)
    say(f"exported {rows} rows of {spec.name} to {out}")
    return 0


# ------------------------------------------------------------------------------ parser


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    """For cron: write the escalation notices for what is overdue today (site time)."""
    from core.clock import site_today
    from core.hazard_remind import escalate_overdue

    migrate.upgrade(settings)
    today = date.fromisoformat(args.today) if args.today else site_today()
    with session_scope(get_engine(settings)) as session:
        sent = escalate_overdue(session, today)
    say(f"overdue hazards: {sent} new notices ({today})")
    return 0


def cmd_inspections_generate(args: argparse.Namespace, settings: Settings) -> int:
    """For cron: create the inspection rounds the plans have due (idempotent; site time)."""
    from core.clock import site_today
    from core.inspection_schedule import HORIZON_DAYS, generate_tasks

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


def cmd_detector_run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the video detector on the enabled cameras until Ctrl-C / SIGTERM, or until every
    camera has come to an end (a file source, ``--max-frames``). The detector's packages are
    imported here only, so the app never loads ONNX Runtime."""
    import logging

    from detectors.service import run as run_detector

    migrate.upgrade(settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    which = ", ".join(map(str, args.camera)) if args.camera else "all enabled"
    say(f"detector starting: cameras {which}, database {_safe_url(settings)}")
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
    p = command("remind", cmd_remind, "notify managers of overdue hazards (run from cron)")
    p.add_argument("--today", help="date to check, YYYY-MM-DD (default: today, site time)")
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
    aud.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit_verify)

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


if __name__ == "__main__":
    sys.exit(main())
