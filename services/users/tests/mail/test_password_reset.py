"""Password reset over real mail (an aiosmtpd server on 127.0.0.1): the same reply for every
email, a link whose token works once, briefly, and only while it is the newest; sessions end
and the old password stops working."""

import re
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.mail.conftest import APP_URL, ServerLikeClient, drain, mailed_links
from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.races import at_once
from services.users.tests.support.security_events import security_events
from services.users.tests.support.sessions import assert_pair_dead, login_pair
from services.users.tests.support.smtp_server import SmtpServer

NEW_PASSWORD = "a brand new passphrase"
ON_ITS_WAY = "If the address belongs to an account, a message with a link is on its way."
REFUSED = "The link is invalid, expired or already used."
ROUNDS = 30


@pytest.fixture
def mailing(mail_app: Callable[..., Flask]) -> Flask:
    return mail_app()


@pytest.fixture
def client(mailing: Flask) -> FlaskClient:
    return mailing.test_client()


def ask(client: FlaskClient, email: str) -> Any:
    return client.post("/auth/password-reset", json={"email": email})


def confirm(client: FlaskClient, token: Any, password: Any = NEW_PASSWORD) -> Any:
    body = {"token": token, "new_password": password}
    return client.post("/auth/password-reset/confirm", json=body)


def mailed_tokens(app: Flask, smtp_server: SmtpServer) -> list[str]:
    return mailed_links(app, smtp_server, "/reset-password")


def logs_in(client: FlaskClient, user: User, password: str) -> bool:
    reply = client.post("/auth/login", json={"email": user.email, "password": password})
    return reply.status_code == 200


def test_every_email_gets_the_same_reply_and_only_an_active_account_mail(
    client: FlaskClient, mailing: Flask, smtp_server: SmtpServer, make_user: Callable[..., User]
) -> None:
    user, inactive = make_user(), make_user(active=False)
    replies = [ask(client, email) for email in (user.email, "nobody@example.com", inactive.email)]
    assert {reply.status_code for reply in replies} == {202}
    assert {reply.get_data() for reply in replies} == {replies[0].get_data()}
    assert replies[0].get_json() == {"status": "success", "message": ON_ITS_WAY}
    assert len(mailed_tokens(mailing, smtp_server)) == 1
    (received,) = smtp_server.inbox.received
    assert received.rcpt_tos == [user.email]
    assert received.message["Subject"] == "Reset your password"


def test_the_link_sets_the_password_and_ends_every_session(
    client: FlaskClient, mailing: Flask, smtp_server: SmtpServer, user: User
) -> None:
    before = login_pair(client, user)
    ask(client, user.email)
    (token,) = mailed_tokens(mailing, smtp_server)
    assert_reply(
        confirm(client, token), 200, "success", "Password changed. Log in with the new password."
    )
    assert_pair_dead(client, before)
    assert not logs_in(client, user, PASSWORD)
    assert logs_in(client, user, NEW_PASSWORD)


def test_a_token_works_once(
    client: FlaskClient, mailing: Flask, smtp_server: SmtpServer, user: User
) -> None:
    ask(client, user.email)
    (token,) = mailed_tokens(mailing, smtp_server)
    assert confirm(client, token).status_code == 200
    assert_reply(confirm(client, token, "yet another passphrase"), 400, "error", REFUSED)
    assert logs_in(client, user, NEW_PASSWORD)


def test_an_expired_token_is_refused(
    client: FlaskClient,
    mailing: Flask,
    smtp_server: SmtpServer,
    user: User,
    fake_clock: FakeClock,
    settings: Any,
) -> None:
    ask(client, user.email)
    (token,) = mailed_tokens(mailing, smtp_server)
    fake_clock.advance(seconds=settings.password_reset_ttl_seconds + 1)
    assert_reply(confirm(client, token), 400, "error", REFUSED)
    fake_clock.current -= timedelta(seconds=settings.password_reset_ttl_seconds + 1)
    assert logs_in(client, user, PASSWORD)


def test_only_the_newest_link_works_and_a_password_change_ends_it(
    client: FlaskClient, mailing: Flask, smtp_server: SmtpServer, user: User
) -> None:
    ask(client, user.email)
    ask(client, user.email)
    first, second = mailed_tokens(mailing, smtp_server)
    assert_reply(confirm(client, first), 400, "error", REFUSED)
    ask(client, user.email)
    third = mailed_tokens(mailing, smtp_server)[-1]
    token = login_pair(client, user)["auth_token"]
    change = {"current_password": PASSWORD, "new_password": "changed by hand"}
    assert client.post("/auth/password", json=change, headers=bearer(token)).status_code == 200
    for stale in (second, third):
        assert_reply(confirm(client, stale), 400, "error", REFUSED)


def test_of_many_confirms_at_once_one_succeeds(
    mailing: Flask, smtp_server: SmtpServer, user: User
) -> None:
    client = mailing.test_client()
    ask(client, user.email)
    (token,) = mailed_tokens(mailing, smtp_server)
    codes = at_once(*[lambda: confirm(mailing.test_client(), token).status_code] * 8)
    assert sorted(codes) == [200] + [400] * 7


@pytest.mark.parametrize(
    "token",
    ["", "x" * 129, 12345, None, "not-a-token"],
    ids=["empty", "long", "int", "null", "unknown"],
)
def test_malformed_or_unknown_tokens_are_400(client: FlaskClient, token: Any) -> None:
    reply = confirm(client, token)
    assert reply.status_code == 400
    assert reply.get_json()["status"] == "error"


def test_a_verification_token_does_not_reset(
    client: FlaskClient, mailing: Flask, smtp_server: SmtpServer, user: User
) -> None:
    token = login_pair(client, user)["auth_token"]
    assert client.post("/auth/verify-email/resend", headers=bearer(token)).status_code == 202
    drain(mailing)
    text = smtp_server.inbox.received[-1].message.get_body(("plain",)).get_content()
    verify_token = re.search(r"verify-email\?token=([^\s]+)", text).group(1)  # type: ignore[union-attr]
    assert_reply(confirm(client, verify_token), 400, "error", REFUSED)
    assert client.post("/auth/verify-email", json={"token": verify_token}).status_code == 200


def test_requests_are_limited_per_email_alike_for_every_email(
    mail_app: Callable[..., Flask], user: User
) -> None:
    limited = mail_app(
        rate_limits_enabled=True, rate_limit_password_reset_per_account="2/hour"
    ).test_client()
    for email in (user.email, "nobody@example.com"):
        assert [ask(limited, email).status_code for _ in range(3)] == [202, 202, 429]


def test_known_and_unknown_emails_take_the_same_time(
    make_app: Callable[..., Flask], app: Flask, user: User
) -> None:
    """Medians of requests measured in turns, in both orders: the request does the same
    work either way (the token and the mail are made after the reply is sent). The mail is
    written by the console backend, not sent to the in-process SMTP server, whose work after
    a mail would fall on the next request measured; and the test waits for the outbox
    between requests."""
    console = make_app(public_app_url=APP_URL)
    console.test_client_class = ServerLikeClient
    client = console.test_client()
    durations: dict[str, list[float]] = {user.email: [], "nobody@example.com": []}
    for turn in range(-1, ROUNDS):
        for email in sorted(durations, reverse=turn % 2 == 1):
            started = time.perf_counter()
            assert ask(client, email).status_code == 202
            if turn >= 0:
                durations[email].append(time.perf_counter() - started)
            drain(console)
    known, unknown = (statistics.median(times) for times in durations.values())
    print(f"\nmedian reply: known {known * 1000:.2f} ms, unknown {unknown * 1000:.2f} ms")
    assert 0.6 <= known / unknown <= 1.67


def test_the_log_names_the_account_only_when_there_is_one(
    client: FlaskClient,
    mailing: Flask,
    smtp_server: SmtpServer,
    user: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    ask(client, "nobody@example.com")
    ask(client, user.email)
    (token,) = mailed_tokens(mailing, smtp_server)
    confirm(client, token)
    output = capsys.readouterr().out
    events = [(e["event"], e["user_id"]) for e in security_events(output)]
    assert events == [
        ("password_reset.requested", None),
        ("password_reset.requested", user.id),
        ("password_reset.completed", user.id),
    ]
    for secret in (token, user.email, "nobody@example.com", NEW_PASSWORD):
        assert secret not in output
