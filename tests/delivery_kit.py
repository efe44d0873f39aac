"""Servers and data for the delivery tests: a real SMTP server (plain, STARTTLS or implicit
TLS, with a log-in, on a certificate of a private CA made here), a webhook receiver answering
scripted statuses, and readers with an address and an unread major hazard."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session, select

from core.config import Settings
from core.notify import notify
from models.accounts import User
from models.notification import Delivery
from tests.factories import Users

SITE = "https://safety.example.com"
MAIL_LOGIN, MAIL_PASSWORD = "mailer", "mail-Pa55-never-shown"
HOOK_SECRET = "hook-s3cret-never-shown"
HOOK_TOKEN = "robot-token-never-shown"


# --- a real mail server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """What the test's SMTP server accepted: (recipients, message, logged-in) per message."""

    messages: list[tuple[list[str], EmailMessage, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message, bool(session.authenticated)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m, _ in self.messages if address in rcpt]


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        MAIL_LOGIN.encode(),
        MAIL_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    server: ssl.SSLContext


def make_certificates(folder: Path) -> Certificates:
    """A private CA and a server certificate for 127.0.0.1 it signed, written to ``folder``
    (the caller skips the test where the cryptography package is missing)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def build(subject: str, issuer: Any, key: Any, signer: Any, ca: bool) -> Any:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            ).add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("SafeLoop test CA", None, ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = build("127.0.0.1", ca.subject, key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Certificates(folder / "ca.pem", server)


class MailServers:
    """SMTP servers on loopback, stopped when the ``with`` block ends."""

    def __init__(self) -> None:
        self.started: list[Controller] = []

    def __enter__(self) -> MailServers:
        return self

    def __exit__(self, *exc: object) -> None:
        for controller in self.started:
            controller.stop()

    def start(
        self, security: str, certs: Certificates | None = None, port: int | None = None
    ) -> tuple[int, Mailbox]:
        """A server speaking ``security`` (none, starttls, ssl) that takes a log-in."""
        box, port = Mailbox(), port or free_port()
        tls: dict[str, Any] = {}
        if certs is not None and security == "starttls":
            tls = {"tls_context": certs.server, "require_starttls": True}
        elif certs is not None and security == "ssl":
            tls = {"ssl_context": certs.server}
        controller = Controller(
            box,
            hostname="127.0.0.1",
            port=port,
            authenticator=check_login,
            auth_require_tls=security == "starttls",
            **tls,
        )
        controller.start()
        self.started.append(controller)
        return port, box


# --- a real webhook receiver ------------------------------------------------------------


@dataclass
class Receiver:
    """An HTTP server answering the scripted statuses in turn (then 200), keeping each POST."""

    script: list[int]
    posts: list[tuple[str, Any, bytes]] = field(default_factory=list)
    url: str = ""


class Receivers:
    """Webhook receivers on loopback, shut down when the ``with`` block ends."""

    def __init__(self) -> None:
        self.servers: list[ThreadingHTTPServer] = []

    def __enter__(self) -> Receivers:
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def start(self, *statuses: int) -> Receiver:
        """A receiver answering ``statuses`` in turn, then 200; its URL holds a token."""
        got = Receiver(list(statuses))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.posts.append((self.path, self.headers, body))  # headers in any case
                self.send_response(got.script.pop(0) if got.script else 200)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self.servers.append(server)
        got.url = f"http://127.0.0.1:{server.server_address[1]}/hook?key={HOOK_TOKEN}"
        return got


# --- data -------------------------------------------------------------------------------


def site_settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        public_url=SITE,
        smtp_from="SafeLoop <safeloop@example.com>",
        webhook_backoff_s=0.01,
        **values,
    )


def mail_settings(tmp_path: Path, port: int, security: str = "none", **values: Any) -> Settings:
    return site_settings(
        tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security=security, **values
    )


def hook_settings(tmp_path: Path, url: str, fmt: str = "generic", **values: Any) -> Settings:
    hook = {"name": "safety-chat", "url": url, "secret": HOOK_SECRET, "format": fmt}
    return site_settings(tmp_path, webhooks=[hook], **values)


def reading_user(
    session: Session, actor_name: str, users: Users, language: str, **values: Any
) -> User:
    user = session.get(User, getattr(users, actor_name).user_id)
    assert user is not None
    user.language = language
    user.email = f"{actor_name}@example.com"
    for name, value in values.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    return user


def major_hazard(session: Session, *readers: User, row_id: int = 42) -> None:
    notify(
        session,
        [u.id for u in readers if u.id is not None],
        "notify.major_hazard",
        table_name="hazard",
        row_id=row_id,
        params={"number": f"YH-{row_id}", "title": "配电箱门未关"},
        severity="error",
        enterprise_id=readers[0].enterprise_id,
    )


def deliveries(session: Session, **where: Any) -> list[Delivery]:
    stmt = select(Delivery).where(*(getattr(Delivery, k) == v for k, v in where.items()))
    return list(session.exec(stmt).all())
