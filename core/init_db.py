"""Bring a database to a usable state: schema, permission matrix, reference data and, on
request, the demo.

Shared by ``safeloop init``, ``safeloop run`` and ``safeloop demo`` so that every way of
starting SafeLoop leaves the same database behind. Safe to call on every start: each step
checks before it writes, so a second call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from core import audit
from core import demo as demo_data
from core.auth import has_users
from core.config import Settings
from core.db import get_engine, refresh_statistics, session_scope
from core.migrate import current_revision, upgrade
from core.rbac import seed_permissions
from core.reference import load_all as load_reference

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class InitResult:
    """What ``initialise`` found and did."""

    revision: str | None
    new: bool  # no user accounts existed before this call
    permissions_seeded: int  # 0 when the matrix was already there (it may have been edited)
    demo: demo_data.DemoSummary | None  # set when the demo was loaded by this call
    demo_logins: tuple[demo_data.DemoLogin, ...]  # demo accounts still on the demo password


def _baseline(engine: Engine) -> None:
    """After a bulk load or an upgrade: key a chain written before the audit key existed and
    seal the records that carry no seal yet, so ``audit verify --records`` starts clean (what
    is in the database now is the evidence; changes from here on are caught)."""
    with session_scope(engine) as session:
        audit.rekey(session)
        audit.seal_missing(session, None)


def initialise(
    settings: Settings, *, demo: bool, scale: str = "S", progress: Progress | None = None
) -> InitResult:
    """Migrate, seed permissions if the table is empty, load the demo into a DB without users."""
    report = progress or (lambda _fraction, _message: None)
    report(0.0, "migrating the database")
    engine = get_engine(settings)
    before = current_revision(engine)
    upgrade(settings)
    revision = current_revision(engine)
    report(0.1, "permissions")
    with session_scope(engine) as session:
        seeded = seed_permissions(session)
    report(0.12, "reference data")
    with session_scope(engine) as session:
        load_reference(session)
    summary = None
    with session_scope(engine) as session:
        new = not has_users(session)
        if new and demo:
            summary = demo_data.load(
                session, scale=scale, progress=lambda f, message: report(0.15 + 0.8 * f, message)
            )
    if summary or (before is not None and before != revision):
        report(0.95, "sealing records")
        _baseline(engine)
    if summary:
        report(0.96, "planner statistics")
        refresh_statistics(engine)
    with session_scope(engine) as session:
        logins = summary.logins if summary else demo_data.active_logins(session)
    report(1.0, "database ready")
    return InitResult(revision, new, seeded, summary, logins)
