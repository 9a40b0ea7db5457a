"""The mailed flows end to end: through real gunicorn to a real SMTP server, whose mail's
link completes the flow over HTTP; and through SES (moto), whose recorded mail does too."""

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from services.users.tests.mail.conftest import APP_URL, ServerLikeClient, drain
from services.users.tests.mail.test_ses import sent_by_moto
from services.users.tests.support.gunicorn_server import Serve
from services.users.tests.support.helpers import PASSWORD, as_environment, bearer, register_body
from services.users.tests.support.smtp_server import SmtpServer

NEW_PASSWORD = "a brand new passphrase"
WAIT_SECONDS = 15


def token_in(text: str, path: str) -> str:
    (link,) = set(re.findall(re.escape(f"{APP_URL}{path}?token=") + r"[^\s\"<]+", text))
    return parse_qs(urlsplit(link).query)["token"][0]


def next_mail(smtp_server: SmtpServer, count: int) -> str:
    """The text of the `count`-th mail the server has taken, once it has arrived."""
    deadline = time.monotonic() + WAIT_SECONDS
    while len(smtp_server.inbox.received) < count:
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.05)
    text: str = smtp_server.inbox.received[count - 1].message.get_body(("plain",)).get_content()
    return text


@pytest.mark.serving
def test_verification_and_reset_through_gunicorn_and_smtp(
    serve: Serve, smtp_server: SmtpServer
) -> None:
    settings = {**smtp_server.settings(), "public_app_url": APP_URL}
    with serve(EMAIL_VERIFICATION="required", **as_environment(settings)) as server:
        base, body = server.base_url, register_body(1)
        registered = requests.post(f"{base}/auth/register", json=body, timeout=10)
        assert registered.status_code == 201, registered.text
        next_mail(smtp_server, 1)  # the registration's link
        credentials = {"email": body["email"], "password": PASSWORD}
        assert requests.post(f"{base}/auth/login", json=credentials, timeout=10).status_code == 403
        verify = token_in(next_mail(smtp_server, 2), "/verify-email")  # the refused login's
        reply = requests.post(f"{base}/auth/verify-email", json={"token": verify}, timeout=10)
        assert reply.status_code == 200, reply.text
        asked = requests.post(
            f"{base}/auth/password-reset", json={"email": body["email"]}, timeout=10
        )
        assert asked.status_code == 202
        reset = token_in(next_mail(smtp_server, 3), "/reset-password")
        confirm = {"token": reset, "new_password": NEW_PASSWORD}
        done = requests.post(f"{base}/auth/password-reset/confirm", json=confirm, timeout=10)
        assert done.status_code == 200, done.text
        status = requests.get(
            f"{base}/auth/status", headers=bearer(registered.json()["auth_token"]), timeout=10
        )
        assert status.status_code == 401  # the reset ended every session
        credentials["password"] = NEW_PASSWORD
        assert requests.post(f"{base}/auth/login", json=credentials, timeout=10).status_code == 200


def test_a_reset_through_ses(
    make_app: Callable[..., Flask], app: Flask, ses_settings: dict[str, Any]
) -> None:
    ses = make_app(public_app_url=APP_URL, **ses_settings)
    ses.test_client_class = ServerLikeClient
    client = ses.test_client()
    assert client.post("/auth/register", json=register_body(1)).status_code == 201
    assert (
        client.post("/auth/password-reset", json={"email": "user1@example.com"}).status_code == 202
    )
    drain(ses)
    [sent] = sent_by_moto(ses_settings["mail_from"])
    assert sent.destinations == {"ToAddresses": ["user1@example.com"]}
    token = token_in(sent.body, "/reset-password")
    confirm = {"token": token, "new_password": NEW_PASSWORD}
    assert client.post("/auth/password-reset/confirm", json=confirm).status_code == 200
    login = {"email": "user1@example.com", "password": NEW_PASSWORD}
    assert client.post("/auth/login", json=login).status_code == 200
