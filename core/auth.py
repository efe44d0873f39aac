"""Log-in, lockout, idle expiry and password changes.

Every outcome (success, wrong password, lock) is audited. Failure messages do not say
whether the user name exists. A lock, a password change or reset ends the account's
browser sessions (``core.sessions``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlmodel import Session, select

from core import audit, sessions
from core.config import Settings
from core.db import utcnow
from core.i18n import LANGUAGES, Translatable
from core.passwords import hash_password, needs_rehash, verify_password
from core.rbac import Actor, actor_for, default_scope
from models.accounts import User
from models.enums import Action, Module, Role, Scope


class AuthError(Translatable):
    """Log-in or password problem, shown to the user in their language."""


def _by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip())).first()


def authenticate(session: Session, username: str, password: str, settings: Settings) -> User:
    """Check a log-in; count failures and lock after ``max_failed_logins`` of them."""
    now = utcnow()
    user = _by_username(session, username)
    if user is None or user.deleted_at is not None:
        audit.record(session, None, "login_failed", detail={"username": username[:50]})
        raise AuthError("auth.bad_credentials")
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        audit.record(session, None, "login_refused_locked", table_name="user", row_id=user.id)
        raise AuthError("auth.locked", minutes=minutes)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= settings.max_failed_logins
        if locked:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            sessions.revoke_all(session, user.id or 0, now)
        session.add(user)
        audit.record(
            session,
            None,
            "account_locked" if locked else "login_failed",
            table_name="user",
            row_id=user.id,
            enterprise_id=user.enterprise_id,
            detail={"username": user.username},
        )
        if locked:
            raise AuthError("auth.locked", minutes=settings.lockout_minutes)
        raise AuthError("auth.bad_credentials")
    if not user.active:
        raise AuthError("auth.inactive")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = user.last_seen_at = now
    session.add(user)
    audit.record(
        session,
        None,
        "login",
        table_name="user",
        row_id=user.id,
        enterprise_id=user.enterprise_id,
        detail={"username": user.username},
    )
    return user


def session_expired(
    last_seen: datetime | None, settings: Settings, now: datetime | None = None
) -> bool:
    """True once a session has been idle longer than ``session_idle_minutes`` (the same rule
    the browser sessions of ``core.sessions`` follow)."""
    return sessions.idle_expired(last_seen, settings, now)


def end_sessions_if_access_changes(
    session: Session, user_id: int | None, values: dict[str, object]
) -> None:
    """An admin's edit that takes roles away or adds some, deactivates or deletes the account
    logs it out everywhere: its browsers log in again under the new rules."""
    user = session.get(User, user_id) if user_id else None
    if user is None:
        return
    roles = {str(r) for r in values.get("roles") or []}  # type: ignore[attr-defined]
    changed = "roles" in values and roles != {str(r) for r in user.roles or []}
    ended = (user.active and values.get("active") is False) or (
        user.deleted_at is None and values.get("deleted_at") is not None
    )
    if changed or ended:
        sessions.revoke_all(session, user.id or 0)


def logged_in_user(session: Session, user_id: int) -> User | None:
    """The account a browser session logged in as (its profile and home page show it)."""
    return session.get(User, user_id)


def active_actor(session: Session, user_id: int) -> Actor | None:
    """A browser session's user as an Actor, or None once the account was deactivated or
    deleted (the session then ends); loaded every run so permission edits apply at once."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.deleted_at is not None:
        return None
    return actor_for(session, user)


def password_problem(password: str, settings: Settings) -> Translatable | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < settings.min_password_length:
        return Translatable("auth.password_too_short", length=settings.min_password_length)
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        return Translatable("auth.password_needs_mix")
    return None


def _check_policy(password: str, settings: Settings) -> None:
    problem = password_problem(password, settings)
    if problem is not None:
        raise AuthError(problem.key, **problem.params)


def change_password(
    session: Session,
    user_id: int,
    old: str,
    new: str,
    settings: Settings,
    *,
    keep_session: int | None = None,
) -> None:
    """A user changes their own password; the old one must be right. Every other browser
    session of the account ends; ``keep_session``, the one they changed it in, stays."""
    user = session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, old):
        raise AuthError("auth.old_password_wrong")
    if old == new:
        raise AuthError("auth.password_unchanged")
    _check_policy(new, settings)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.add(user)
    sessions.revoke_all(session, user_id, keep=keep_session)
    audit.record(session, None, "password_changed", table_name="user", row_id=user.id)


def reset_password(
    session: Session, actor: Actor, user_id: int, new: str, settings: Settings
) -> None:
    """Admin sets a temporary password; the user must change it at next log-in, and is
    logged out everywhere now."""
    actor.require(Module.USERS, Action.EDIT)
    _check_policy(new, settings)
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("error.not_found")
    user.password_hash = hash_password(new)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    sessions.revoke_all(session, user_id)
    audit.record(session, actor, "password_reset", table_name="user", row_id=user.id)


def unlock(session: Session, actor: Actor, user_id: int) -> None:
    actor.require(Module.USERS, Action.EDIT)
    user = session.get(User, user_id)
    if user is None:
        raise AuthError("error.not_found")
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    audit.record(session, actor, "account_unlocked", table_name="user", row_id=user.id)


def set_language(session: Session, user_id: int, language: str) -> None:
    """Remember the user's language choice for their next log-in."""
    if language not in LANGUAGES:
        raise AuthError("error.bad_language")
    user = session.get(User, user_id)
    if user is not None and user.language != language:
        user.language = language
        session.add(user)


def touch(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.last_seen_at = utcnow()
        session.add(user)


def has_users(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def create_user(
    session: Session,
    actor: Actor | None,
    settings: Settings,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    scope: Scope | None = None,
    park_id: int | None = None,
    enterprise_id: int | None = None,
    department_id: int | None = None,
    person_id: int | None = None,
    must_change_password: bool = True,
    password_hash: str | None = None,
) -> User:
    """Create an account; ``actor`` None is only for first-run admin creation and the demo.

    ``password_hash`` is a hash of ``password`` made earlier, for callers that create many
    accounts with one password (argon2 costs ~0.2 s a hash; the test factories do this)."""
    if actor is not None:
        actor.require(Module.USERS, Action.CREATE)
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{3,50}", username):
        raise AuthError("auth.bad_username")
    if _by_username(session, username) is not None:
        raise AuthError("auth.username_taken", username=username)
    unknown = [r for r in roles if r not in {x.value for x in Role}]
    if not roles or unknown:
        raise AuthError("auth.bad_roles")
    _check_policy(password, settings)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=password_hash or hash_password(password),
        roles=list(roles),
        scope=scope or default_scope(roles[0]),
        park_id=park_id,
        enterprise_id=enterprise_id,
        department_id=department_id,
        person_id=person_id,
        language=settings.default_language,
        must_change_password=must_change_password,
        created_by=actor.user_id if actor else None,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        table_name="user",
        row_id=user.id,
        enterprise_id=enterprise_id,
        after=audit.snapshot(user),
    )
    return user
