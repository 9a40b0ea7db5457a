"""Fixtures of the mail tests: real SMTP servers, a trusted certificate, delivery to the end."""

import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.mail import Message, current_outbox

from services.users.tests.support.helpers import PASSWORD
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
APP_URL = "https://app.example.com"


class ServerLikeClient(FlaskClient):
    """Closes every reply once it is read, as a WSGI server closes it once sent; what the
    service does then (queue mail) then happens, as in production."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def mail_app(
    make_app: Callable[..., Flask], app: Flask, smtp_server: SmtpServer
) -> Iterator[Callable[..., Flask]]:
    """`mail_app(**overrides)`: an app that mails through the test's SMTP server, its links
    on APP_URL, and a client that closes replies (`app` empties the tables after)."""
    built: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        settings = {"public_app_url": APP_URL, **smtp_server.settings(), **overrides}
        built.append(make_app(**settings))
        built[-1].test_client_class = ServerLikeClient
        return built[-1]

    yield factory
    for mailing in built:
        drain(mailing)


def drain(app: Flask) -> None:
    """Wait until the app's outbox has sent everything queued."""
    with app.app_context():
        assert current_outbox().drain(DRAIN_SECONDS)


def mailed_links(app: Flask, smtp_server: SmtpServer, path: str) -> list[str]:
    """The token of every link to `path` mailed so far, oldest first; each mail has the link
    in its text and its HTML, and no password."""
    drain(app)
    link = re.compile(re.escape(f"{APP_URL}{path}?token=") + r"[^\s\"<]+")
    tokens = []
    for received in smtp_server.inbox.received:
        text = received.message.get_body(("plain",)).get_content()
        html = received.message.get_body(("html",)).get_content()
        for found in link.findall(text):
            assert found in html
            assert PASSWORD not in text + html
            tokens.append(parse_qs(urlsplit(found).query)["token"][0])
    return tokens


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


@pytest.fixture
def ses_settings(moto_endpoint: str, fake_aws_env: None) -> dict[str, Any]:
    """Settings overrides that send through moto's SES from a freshly verified domain."""
    domain = f"{secrets.token_hex(6)}.example.com"
    client = boto3.session.Session().client("sesv2", endpoint_url=moto_endpoint)
    client.create_email_identity(EmailIdentity=domain)
    return {
        "mail_backend": "ses",
        "mail_from": f"Users <no-reply@{domain}>",
        "ses_endpoint_url": moto_endpoint,
    }
