"""The HTTP side of a log-in: the two addresses that set and clear the session cookie.

A Streamlit script cannot set a response header, so the logged-in tab fetches
``/_safeloop/session?ticket=...&fetch=1`` in the background: the one-use ticket is traded for
the session token (``core.sessions``), which comes back in an HttpOnly, SameSite=Lax cookie
that no script on the page can read. (``&next=/page?query`` instead of ``fetch`` answers with
a redirect there, for a browser sent to the address.)
``/_safeloop/logout`` revokes the cookie's session, clears the cookie (keeping the page's
language, ``?lang=``, for the log-in form) and goes to the start page.
``core/web/safeloop_asgi.py`` serves them next to the app (``st.App``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import sessions
from core.config import get_settings
from core.db import session_scope
from core.i18n import LANGUAGES


def safe_next(target: str | None) -> str:
    """Only a path of this site: ``/hazard_hazard?f.status=open``, never ``//evil.example``,
    ``https://...`` or a backslash trick; anything else becomes the start page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _exchange(ticket: str) -> str | None:
    with session_scope() as session:
        return sessions.exchange(session, ticket, get_settings())


def _revoke(token: str) -> None:
    with session_scope() as session:
        sessions.revoke_token(session, token)


async def session_route(request: Request) -> Response:
    """Ticket in, cookie out; a spent or late ticket just goes back (to the log-in)."""
    target = safe_next(request.query_params.get("next"))
    ticket = request.query_params.get("ticket", "")
    token = await run_in_threadpool(_exchange, ticket) if ticket else None
    fetched = request.query_params.get("fetch") == "1"  # the tab's background request
    response = Response(status_code=204) if fetched else RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if token is not None:
        response.set_cookie(
            sessions.COOKIE,
            token,
            max_age=get_settings().session_absolute_hours * 3600,
            path="/",
            secure=_secure(request),
            httponly=True,
            samesite="lax",
        )
    return response


async def logout_route(request: Request) -> RedirectResponse:
    token = request.cookies.get(sessions.COOKIE)
    if token:
        await run_in_threadpool(_revoke, token)
    response = RedirectResponse("/", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(
        sessions.COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax"
    )
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(
            sessions.LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            path="/",
            secure=_secure(request),
            httponly=True,
            samesite="lax",
        )
    return response


ROUTES = [
    Route(sessions.SESSION_PATH, session_route, methods=["GET"]),
    Route(sessions.LOGOUT_PATH, logout_route, methods=["GET"]),
]
