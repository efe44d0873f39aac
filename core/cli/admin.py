"""Administration from the shell: user accounts, the audit chain, backups, Excel in and out."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, select

from core import audit, backup, migrate
from core.auth import create_user
from core.cli.output import LANG, CliError, progress_line, say
from core.config import Settings
from core.crud import excel
from core.crud.registry import TableSpec, all_specs
from core.crud.service import ListQuery, list_rows
from core.db import get_engine, session_scope
from core.delivery.messages import HttpRequest
from core.delivery.transport import SendError, post
from core.i18n import t
from core.rbac import SYSTEM, Actor, actor_for
from core.system.backups import make_backup, restore_backup
from models.accounts import User
from models.enums import Scope
from models.org import Department, Enterprise, Park

OrgRow = TypeVar("OrgRow", Park, Enterprise, Department)


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


def _chain_report(session: Session) -> audit.ChainReport:
    """Check the chain; print why it is broken (to stderr) when it is."""
    report = audit.verify(session)
    if not report.ok:
        where = f"entry seq {report.bad_seq}" if report.bad_seq is not None else "the anchors"
        where += f" (id {report.bad_id})" if report.bad_id is not None else ""
        print(f"audit chain BROKEN at {where}: {report.reason}", file=sys.stderr)
    return report


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        report = _chain_report(session)
        if not report.ok:
            return 1
        say(f"audit chain OK: {report.checked} entries")
        findings = audit.verify_records(session) if args.records else []
    for f in findings:
        name = f" ({f.label})" if f.label else ""
        print(f"sealed record {f.table} {f.row_id}{name}: {f.reason}", file=sys.stderr)
    if findings:
        print(f"{len(findings)} sealed record(s) changed outside the app", file=sys.stderr)
        return 1
    if args.records:
        say("sealed records OK")
    return 0


def cmd_audit_anchor(args: argparse.Namespace, settings: Settings) -> int:
    """Anchor only a chain that verifies: anchoring a forged one would vouch for it."""
    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        report = _chain_report(session)
    if not report.ok:
        return 1
    anchor = audit.make_anchor(report.checked, report.tip)
    audit.append_anchor(settings.audit_anchors_file, anchor)
    say(f"anchored seq {anchor.seq} ({anchor.hash[:16]}…) in {settings.audit_anchors_file}")
    url = settings.audit_anchor_url.get_secret_value()
    if url:
        body = audit.anchors.to_json(anchor).encode()
        try:
            post(HttpRequest(url, body, {"Content-Type": "application/json"}))
        except SendError as exc:
            print(f"anchor not posted: {exc}", file=sys.stderr)
            return 1
        say("anchor posted to audit_anchor_url")
    return 0


def cmd_audit_baseline(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings)
    with session_scope(get_engine(settings)) as session:
        rekeyed = audit.rekey(session)
        sealed = audit.seal_missing(session, SYSTEM)
    say(f"audit chain {'re-keyed' if rekeyed else 'already keyed'}; {sealed} record(s) sealed")
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
