"""Server-side log-in sessions (``core.sessions``) as a user meets them: a log-in that lasts
through reloads until it sits idle, runs out or is revoked, and the account events that end
it everywhere. Time is frozen with time_machine so the expiries are exact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlmodel import Session, SQLModel, select
from starlette.requests import Request

from core import auth, db, sessions
from core.auth import AuthError, authenticate, change_password, reset_password
from core.config import Settings
from core.crud import service
from core.crud.registry import get_spec
from core.web import logout_route, safe_next, session_route
from models.accounts import User, UserSession
from models.enums import Role
from tests.factories import PASSWORD, Users, user

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/140"


def _log_in(session: Session, settings: Settings, user_id: int) -> str:
    """A log-in as the browser completes it: the ticket traded for the cookie's token."""
    issued = sessions.create(session, user_id, settings, user_agent=UA, ip="10.0.0.7")
    token = sessions.exchange(session, issued.ticket, settings)
    assert token is not None
    return token


def _live(session: Session, settings: Settings, token: str) -> int | None:
    found = sessions.resolve(session, token, settings)
    return found.user_id if found is not None else None


class TestTicketAndToken:
    def test_the_database_keeps_only_a_hash_of_the_token(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        token = _log_in(session, settings, users.inspector_a.user_id)
        row = session.exec(
            select(UserSession).where(UserSession.user_id == users.inspector_a.user_id)
        ).one()
        assert len(token) >= 40 and token not in row.token_hash
        assert row.token_hash == sessions.token_hash(token)
        assert row.user_agent == UA and row.ip == "10.0.0.7"
        assert _live(session, settings, token) == users.inspector_a.user_id

    def test_a_ticket_is_good_once_and_for_a_minute(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with time_machine.travel(T0, tick=False):
            issued = sessions.create(session, users.employee_a.user_id, settings)
            assert _live(session, settings, issued.ticket) is None  # a ticket is no cookie
            assert sessions.exchange(session, issued.ticket, settings) is not None
            assert sessions.exchange(session, issued.ticket, settings) is None
            late = sessions.create(session, users.employee_a.user_id, settings)
        with time_machine.travel(T0 + timedelta(seconds=sessions.TICKET_SECONDS + 1), tick=False):
            assert sessions.exchange(session, late.ticket, settings) is None
        assert sessions.exchange(session, "made-up", settings) is None


class TestExpiry:
    def test_idle_expiry_counts_from_the_last_click(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        idle = timedelta(minutes=settings.session_idle_minutes)
        with time_machine.travel(T0, tick=False):
            token = _log_in(session, settings, users.inspector_a.user_id)
        with time_machine.travel(T0 + idle - timedelta(seconds=1), tick=False):
            assert _live(session, settings, token) == users.inspector_a.user_id  # and touched
        with time_machine.travel(T0 + 2 * idle - timedelta(seconds=2), tick=False):
            assert _live(session, settings, token) == users.inspector_a.user_id
        with time_machine.travel(T0 + 3 * idle, tick=False):
            assert _live(session, settings, token) is None

    def test_absolute_expiry_ends_even_a_busy_session(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        with time_machine.travel(T0, tick=False):
            token = _log_in(session, settings, users.safety_head.user_id)
            issued = sessions.create(session, users.safety_head.user_id, settings)
        step = timedelta(minutes=settings.session_idle_minutes - 1)
        at = T0
        end = T0 + timedelta(hours=settings.session_absolute_hours)
        while at + step < end:
            at += step
            with time_machine.travel(at, tick=False):
                assert _live(session, settings, token) == users.safety_head.user_id
                assert sessions.check(session, issued.session_id, settings) is not None
        with time_machine.travel(end, tick=False):
            assert _live(session, settings, token) is None
            assert sessions.check(session, issued.session_id, settings) is None

    def test_the_old_idle_rule_is_the_sessions_rule(self, settings: Settings) -> None:
        idle = timedelta(minutes=settings.session_idle_minutes)
        for last in (None, T0 - idle, T0 - idle - timedelta(seconds=1)):
            assert auth.session_expired(last, settings, T0) == sessions.idle_expired(
                last, settings, T0
            )


class TestRevocation:
    def test_log_out_ends_this_browser_only(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        here = sessions.create(session, users.inspector_b.user_id, settings)
        phone = _log_in(session, settings, users.inspector_b.user_id)
        sessions.revoke(session, here.session_id)
        assert sessions.check(session, here.session_id, settings) is None
        assert _live(session, settings, phone) == users.inspector_b.user_id
        sessions.revoke_token(session, phone)
        assert _live(session, settings, phone) is None

    def test_a_password_change_ends_the_other_browsers(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        uid = users.employee_a.user_id
        here = sessions.create(session, uid, settings)
        elsewhere = _log_in(session, settings, uid)
        change_password(
            session, uid, PASSWORD, "NewPassw0rd99", settings, keep_session=here.session_id
        )
        assert _live(session, settings, elsewhere) is None
        assert sessions.check(session, here.session_id, settings) == uid

    def test_a_reset_by_the_admin_ends_every_browser(
        self, session: Session, settings: Settings, users: Users
    ) -> None:
        uid = users.inspector_a.user_id
        token = _log_in(session, settings, uid)
        reset_password(session, users.admin, uid, "Tempor4ry-pass", settings)
        assert _live(session, settings, token) is None

    def test_a_lock_ends_every_browser(self, session: Session, settings: Settings) -> None:
        victim = user(session, settings, "lock_me", Role.EMPLOYEE)
        token = _log_in(session, settings, victim.id or 0)
        for _ in range(settings.max_failed_logins):
            with pytest.raises(AuthError):
                authenticate(session, "lock_me", "wrong-password-1", settings)
        assert session.get(User, victim.id).locked_until is not None
        assert _live(session, settings, token) is None

    @pytest.mark.parametrize(
        "change",
        [{"roles": ["inspector", "employee"]}, {"active": False}, None],
        ids=["role change", "deactivated", "deleted"],
    )
    def test_an_admins_access_change_ends_every_browser(
        self, session: Session, settings: Settings, users: Users, change: dict | None
    ) -> None:
        victim = user(session, settings, "edit_me", Role.EMPLOYEE)
        token = _log_in(session, settings, victim.id or 0)
        spec = get_spec("user")
        service.update_row(session, spec, users.admin, victim.id, {"email": "e@example.com"})
        assert _live(session, settings, token) == victim.id  # an address is no access change
        if change is None:
            service.soft_delete(session, spec, users.admin, victim.id or 0)
        else:
            service.update_row(session, spec, users.admin, victim.id, change)
        assert _live(session, settings, token) is None


def _request(path: str, query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1:8501"), *raw],
        "server": ("127.0.0.1", 8501),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/hazard_hazard?f.status=open", "/hazard_hazard?f.status=open"),
        ("/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\nLocation: x", "/"),
        (None, "/"),
    ],
)
def test_the_browser_only_comes_back_to_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_cookie_addresses(settings: Settings) -> None:
    """Ticket in, HttpOnly SameSite=Lax cookie out (Secure behind an https proxy), back to the
    page; a spent ticket sets nothing; the log-out address revokes and clears the cookie."""
    SQLModel.metadata.create_all(db.get_engine())
    with db.session_scope() as session:
        uid = user(session, settings, "web_user", Role.EMPLOYEE).id or 0
        first = sessions.create(session, uid, settings)
        second = sessions.create(session, uid, settings)
    query = f"ticket={first.ticket}&next=%2Fhazard_hazard%3Ff.overdue%3D1"
    response = asyncio.run(session_route(_request("/_safeloop/session", query)))
    assert response.status_code == 303
    assert response.headers["location"] == "/hazard_hazard?f.overdue=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with db.session_scope() as session:
        assert _live(session, settings, token) == uid

    again = asyncio.run(session_route(_request("/_safeloop/session", query)))
    assert "set-cookie" not in again.headers
    proxied = asyncio.run(
        session_route(
            _request(
                "/_safeloop/session",
                f"ticket={second.ticket}&next=//evil.example",
                {"X-Forwarded-Proto": "https"},
            )
        )
    )
    assert proxied.headers["location"] == "/" and "Secure" in proxied.headers["set-cookie"]

    out = asyncio.run(
        logout_route(_request("/_safeloop/logout", headers={"Cookie": f"safeloop_session={token}"}))
    )
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert (
        'safeloop_session=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    with db.session_scope() as session:
        assert _live(session, settings, token) is None


def test_the_log_out_keeps_the_language_for_the_log_in_form() -> None:
    """An English user who logs out gets an English log-in form (the page reloads)."""
    out = asyncio.run(logout_route(_request("/_safeloop/logout", "lang=en")))
    kept = [c for c in out.headers.getlist("set-cookie") if c.startswith(sessions.LANG_COOKIE)]
    assert kept and kept[0].startswith(f"{sessions.LANG_COOKIE}=en;")
    odd = asyncio.run(logout_route(_request("/_safeloop/logout", "lang=fr")))
    assert not [c for c in odd.headers.getlist("set-cookie") if sessions.LANG_COOKIE in c]


def test_the_tab_fetches_its_cookie_without_leaving_the_page(settings: Settings) -> None:
    """The logged-in tab's background request gets the cookie and no redirect."""
    url = urlsplit(sessions.cookie_url("T0k-en"))
    assert url.path == sessions.SESSION_PATH
    assert parse_qs(url.query) == {"ticket": ["T0k-en"], "fetch": ["1"]}
    SQLModel.metadata.create_all(db.get_engine())
    with db.session_scope() as session:
        uid = user(session, settings, "fetch_user", Role.EMPLOYEE).id or 0
        issued = sessions.create(session, uid, settings)
    query = urlsplit(sessions.cookie_url(issued.ticket)).query
    response = asyncio.run(session_route(_request(sessions.SESSION_PATH, query)))
    assert response.status_code == 204 and "location" not in response.headers
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie
