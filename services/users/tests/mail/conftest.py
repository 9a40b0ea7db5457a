"""Fixtures of the mail tests: real SMTP servers, a trusted certificate, delivery to the end."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask

from users_service.mail import Message, current_outbox

from services.users.tests.support.smtp_server import (
    Inbox,
    SmtpServer,
    running_smtp,
    self_signed_certificate,
    server_tls,
)

# The mail a password reset might send: the text that must never reach a log line.
TOKEN = "one-time-token-5f2a9c"
MESSAGE = Message(
    to="ada@example.org",
    subject="Reset your password",
    text=f"Open https://app.example.com/reset?token={TOKEN}",
    html=f'<p><a href="https://app.example.com/reset?token={TOKEN}">Reset</a></p>',
)
CREDENTIALS = ("relay-user", "relay-password-7d3e")
DRAIN_SECONDS = 10


def deliver(app: Flask, message: Message = MESSAGE) -> None:
    """Queue `message` in the app's outbox and wait until the outbox is done with it."""
    with app.app_context():
        outbox = current_outbox()
    assert outbox.submit(lambda: message)
    assert outbox.drain(DRAIN_SECONDS)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server, no TLS and no AUTH: a local mail catcher."""
    with running_smtp(Inbox()) as server:
        yield server


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    return self_signed_certificate(tmp_path)


@pytest.fixture
def trust(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the certificate one the client trusts: OpenSSL's SSL_CERT_FILE, as an operator
    would name a private CA."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


@pytest.fixture
def tls_server(
    certificate: tuple[Path, Path],
) -> Callable[..., AbstractContextManager[SmtpServer]]:
    """`tls_server(starttls=True)` or `tls_server(starttls=False)`: a server with the
    certificate and AUTH with CREDENTIALS (after TLS only)."""

    def start(*, starttls: bool) -> AbstractContextManager[SmtpServer]:
        context = server_tls(*certificate)
        inbox = Inbox(credentials=CREDENTIALS)
        if starttls:
            return running_smtp(inbox, starttls=context)
        return running_smtp(inbox, tls=context)

    return start
