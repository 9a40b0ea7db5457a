"""SMTP against a real server on 127.0.0.1: plain, STARTTLS and TLS, with AUTH."""

import smtplib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from users_service.mail.backends import PermanentRefusalError
from users_service.mail.smtp import SmtpBackend

from services.users.tests.mail.conftest import CREDENTIALS, MESSAGE, TOKEN, deliver
from services.users.tests.support.smtp_server import SmtpServer

StartTls = Callable[..., AbstractContextManager[SmtpServer]]


def test_a_mail_arrives_with_its_headers_and_both_bodies(
    make_app: Callable[..., Any], smtp_server: SmtpServer
) -> None:
    deliver(make_app(**smtp_server.settings()))
    [received] = smtp_server.inbox.received
    assert received.mail_from == "no-reply@example.com"
    assert received.rcpt_tos == [MESSAGE.to]
    mail = received.message
    assert mail["From"] == "Users <no-reply@example.com>"
    assert mail["To"] == MESSAGE.to
    assert mail["Subject"] == MESSAGE.subject
    assert mail["Message-ID"].endswith("@example.com>")
    assert mail["Date"]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content().strip() == MESSAGE.text  # type: ignore[union-attr]
    assert mail.get_body(("html",)).get_content().strip() == MESSAGE.html  # type: ignore[union-attr]
    assert received.login is None


@pytest.mark.parametrize("starttls", [True, False], ids=["starttls", "ssl"])
def test_tls_with_a_verified_certificate_and_a_login(
    make_app: Callable[..., Any], tls_server: StartTls, trust: None, starttls: bool
) -> None:
    """The client checks the server's certificate and name (here trusted through
    SSL_CERT_FILE), then logs in; the server takes AUTH only over TLS."""
    username, password = CREDENTIALS
    with tls_server(starttls=starttls) as server:
        security = "starttls" if starttls else "ssl"
        app = make_app(**server.settings(security), smtp_username=username, smtp_password=password)
        deliver(app)
    [received] = server.inbox.received
    assert received.login == username
    assert received.message["Subject"] == MESSAGE.subject


@pytest.mark.parametrize("starttls", [True, False], ids=["starttls", "ssl"])
def test_an_unverified_certificate_gets_neither_password_nor_mail(
    make_app: Callable[..., Any],
    tls_server: StartTls,
    starttls: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without the certificate in the trusted set the handshake fails: nothing is sent, and
    the failure is logged with neither password nor body."""
    username, password = CREDENTIALS
    with tls_server(starttls=starttls) as server:
        security = "starttls" if starttls else "ssl"
        app = make_app(
            **server.settings(security),
            smtp_username=username,
            smtp_password=password,
            mail_send_attempts=1,
        )
        deliver(app)
    assert server.inbox.received == []
    assert server.inbox.logins == []
    assert "SSLCertVerificationError" in caplog.text
    assert password not in caplog.text
    assert TOKEN not in caplog.text


def test_a_refused_login_is_a_failed_send(
    make_app: Callable[..., Any],
    tls_server: StartTls,
    trust: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with tls_server(starttls=True) as server:
        app = make_app(
            **server.settings("starttls"),
            smtp_username="relay-user",
            smtp_password="not-the-password",
            mail_send_attempts=1,
        )
        deliver(app)
    assert set(server.inbox.logins) == {"relay-user"}  # one try per mechanism (PLAIN, LOGIN)
    assert server.inbox.received == []
    assert "SMTPAuthenticationError" in caplog.text
    assert "not-the-password" not in caplog.text


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_the_port_defaults_to_the_standard_one_of_the_security(
    make_settings: Callable[..., Any], security: str, port: int
) -> None:
    settings = make_settings(
        mail_backend="smtp",
        mail_from="no-reply@example.com",
        smtp_host="mail.example.com",
        smtp_security=security,
    )
    assert SmtpBackend.from_settings(settings).port == port


@pytest.mark.parametrize(
    ("refusal", "permanent"),
    [("550 5.7.1 Message rejected", True), ("451 4.3.0 Try again later", False)],
    ids=["5xx", "4xx"],
)
def test_a_5xx_refusal_is_permanent_and_a_4xx_one_is_worth_a_retry(
    make_settings: Callable[..., Any], smtp_server: SmtpServer, refusal: str, permanent: bool
) -> None:
    """RFC 5321: the outbox retries what a later attempt may get through (4xx), and only that."""
    smtp_server.inbox.refusal = refusal
    backend = SmtpBackend.from_settings(make_settings(**smtp_server.settings()))
    expected = PermanentRefusalError if permanent else smtplib.SMTPDataError
    with pytest.raises(expected) as refused:
        backend.send(MESSAGE)
    assert type(refused.value) is expected
    assert smtp_server.inbox.received == []
    if permanent:
        assert str(refused.value) == "SMTPDataError 550"
