"""Talking to the outside: the mail server (one connection per run) and webhook receivers.

Failures become ``SendError``s whose text is safe to store and print: it never holds a
password, a secret or a webhook's address (a robot's address carries its access token).
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage

from core.config import Settings
from core.delivery.messages import HttpRequest

HTTP_TIMEOUT_S = 10.0
#: Robots answer 200 with an error code in the body (a bad signature, a missing keyword).
ROBOT_CODES = ("errcode", "code", "StatusCode")


class SendError(Exception):
    """A failed attempt; ``transient`` ones (network, HTTP 5xx/429, SMTP 4xx) may succeed if
    tried again soon, the others only once someone fixes the address or the settings."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Mailer:
    """One SMTP session for a whole run, opened at the first message. Once the server cannot
    be reached, the rest of the run's messages fail at once with the same error."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._broken: SendError | None = None

    def send(self, message: EmailMessage) -> None:
        smtp = self._open()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
            raise SendError(f"recipient refused: {codes}", transient=False) from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"{exc.smtp_code} {_text(exc.smtp_error)}", transient=exc.smtp_code < 500
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None
            raise SendError(_reason(exc), transient=True) from None

    def _open(self) -> smtplib.SMTP:
        if self._broken is not None:
            raise self._broken
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        context = ssl.create_default_context(cafile=str(s.smtp_ca_file) if s.smtp_ca_file else None)
        try:
            if s.smtp_security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
                if s.smtp_security == "starttls":
                    smtp.starttls(context=context)
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
        except smtplib.SMTPResponseException as exc:
            self._broken = SendError(
                f"mail server: {exc.smtp_code} {_text(exc.smtp_error)}", transient=True
            )
            raise self._broken from None
        except (smtplib.SMTPException, OSError) as exc:
            self._broken = SendError(f"mail server: {_reason(exc)}", transient=True)
            raise self._broken from None
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            # the messages are sent: a rude goodbye changes nothing
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None


def post(request: HttpRequest) -> None:
    """POST once; success is a 2xx answer whose body, when a robot's JSON, says code 0."""
    outgoing = urllib.request.Request(
        request.url, data=request.body, headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=HTTP_TIMEOUT_S) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendError(
            f"HTTP {exc.code} {exc.reason}", transient=exc.code >= 500 or exc.code == 429
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise SendError(_reason(exc), transient=True) from None
    except ValueError:  # http.client's refusal quotes the address, token included
        raise SendError("the webhook's address is not valid", transient=False) from None
    try:
        reply = json.loads(answer or b"{}")
    except ValueError:
        return  # a receiver that answers 2xx with plain text took the message
    if isinstance(reply, dict):
        code = next((reply[k] for k in ROBOT_CODES if k in reply), 0)
        if code not in (0, "0", None):
            message = reply.get("errmsg") or reply.get("msg") or reply.get("StatusMessage")
            raise SendError(f"receiver refused: {code} {message}", transient=False)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return f"{type(exc).__name__}: {reason}" if str(reason) else type(exc).__name__
