"""A real SMTP server on 127.0.0.1 (aiosmtpd's Controller, in a thread of the test process)
that keeps what it receives, and a self-signed certificate for its TLS."""

import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.users.tests.support.helpers import free_port

HOST = "127.0.0.1"


@dataclass
class Received:
    """One mail as the server took it: the envelope, the parsed message, who logged in."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None


@dataclass
class Inbox:
    """aiosmtpd's handler: keeps each mail, and accepts only `credentials` when it has any."""

    credentials: tuple[str, str] | None = None
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refusal: str | None = None  # a reply that refuses every message ("550 ...", "451 ...")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refusal is not None:
            return self.refusal
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(Received(envelope.mail_from, envelope.rcpt_tos, message, login))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login.decode())
        accepted = (data.login.decode(), data.password.decode()) == self.credentials
        # handled=False: aiosmtpd answers a refusal itself (535).
        return AuthResult(success=accepted, handled=False, auth_data=data)


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox

    def settings(self, security: str = "none") -> dict[str, Any]:
        """Settings overrides that send mail to this server."""
        return {
            "mail_backend": "smtp",
            "mail_from": "Users <no-reply@example.com>",
            "smtp_host": HOST,
            "smtp_port": self.port,
            "smtp_security": security,
        }


@contextmanager
def running_smtp(
    inbox: Inbox, *, starttls: ssl.SSLContext | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[SmtpServer]:
    """Serve on a free port: plain, with STARTTLS offered and required (`starttls`), or TLS
    from the first byte (`tls`). AUTH is offered when the inbox has credentials."""
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if inbox.credentials is not None:
        options.update(authenticator=inbox.authenticate, auth_require_tls=starttls is not None)
    port = free_port()
    controller = Controller(inbox, hostname=HOST, port=port, ssl_context=tls, **options)
    controller.start()
    try:
        yield SmtpServer(port, inbox)
    finally:
        controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that signs itself (its own CA), and its key: PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test SMTP server")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
