"""Email verification in its three modes, over a real SMTP server: off mails nothing and
keeps the contract's replies; optional mails a link and shows `email_verified`; required
also refuses to log in an unverified address (and mails a new link)."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.users.tests.mail.conftest import drain, mailed_links
from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import PASSWORD, bearer, register_body
from services.users.tests.support.smtp_server import SmtpServer

NOT_VERIFIED = "The email address is not verified: follow the link mailed to it."
REFUSED = "The link is invalid, expired or already used."


def register(client: FlaskClient, n: int = 1) -> dict[str, Any]:
    reply = client.post("/auth/register", json=register_body(n))
    assert reply.status_code == 201, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def registered(mail_app: Callable[..., Flask], **settings: Any) -> tuple[Flask, FlaskClient, str]:
    """An app with these settings, its client, and the access token of user 1, registered."""
    app = mail_app(**settings)
    client = app.test_client()
    return app, client, register(client)["auth_token"]


def status(client: FlaskClient, token: str) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/auth/status", headers=bearer(token)).get_json()["data"]
    return data


def log_in(client: FlaskClient, email: str = "user1@example.com") -> Any:
    return client.post("/auth/login", json={"email": email, "password": PASSWORD})


def verify(client: FlaskClient, token: str) -> Any:
    return client.post("/auth/verify-email", json={"token": token})


def links(app: Flask, smtp_server: SmtpServer) -> list[str]:
    return mailed_links(app, smtp_server, "/verify-email")


def test_off_mails_nothing_and_keeps_the_contract_shape(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(mail_app)
    drain(app)
    assert smtp_server.inbox.received == []
    assert "email_verified" not in status(client, token)
    assert log_in(client).status_code == 200


def test_optional_mails_a_link_that_verifies_once(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(mail_app, email_verification="optional")
    (link,) = links(app, smtp_server)
    assert smtp_server.inbox.received[0].rcpt_tos == ["user1@example.com"]
    assert status(client, token)["email_verified"] is False
    assert log_in(client).status_code == 200  # optional: an unverified address logs in
    assert_reply(verify(client, link), 200, "success", "Email address verified.")
    assert status(client, token)["email_verified"] is True
    assert_reply(verify(client, link), 400, "error", REFUSED)
    assert client.get("/users/me", headers=bearer(token)).get_json()["data"]["email_verified"]


def test_required_refuses_the_login_of_an_unverified_address_and_mails_again(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app = mail_app(email_verification="required")
    client = app.test_client()
    register(client)
    assert_reply(log_in(client), 403, "error", NOT_VERIFIED)
    wrong = client.post("/auth/login", json={"email": "user1@example.com", "password": "wrong!!!"})
    assert wrong.status_code == 404  # a wrong password is refused as before: nothing told
    first, second = links(app, smtp_server)  # registration's, then the refused login's
    assert_reply(verify(client, first), 400, "error", REFUSED)  # only the newest works
    assert verify(client, second).status_code == 200
    assert log_in(client).status_code == 200


def test_a_new_email_is_unverified_and_gets_its_own_link(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(mail_app, email_verification="optional")
    (old_link,) = links(app, smtp_server)
    assert verify(client, old_link).status_code == 200
    change = {"current_password": PASSWORD, "email": "new@example.com"}
    assert client.patch("/users/me", json=change, headers=bearer(token)).status_code == 200
    assert status(client, token)["email_verified"] is False
    new_link = links(app, smtp_server)[-1]
    assert smtp_server.inbox.received[-1].rcpt_tos == ["new@example.com"]
    assert verify(client, new_link).status_code == 200
    assert status(client, token)["email_verified"] is True


def test_a_link_for_an_address_no_longer_the_accounts_is_refused(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(mail_app, email_verification="optional")
    (old_link,) = links(app, smtp_server)
    change = {"current_password": PASSWORD, "email": "new@example.com"}
    assert client.patch("/users/me", json=change, headers=bearer(token)).status_code == 200
    assert_reply(verify(client, old_link), 400, "error", REFUSED)
    assert status(client, token)["email_verified"] is False


def test_resend_mails_a_new_link_until_verified_within_its_budget(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(
        mail_app, rate_limits_enabled=True, rate_limit_verify_email_per_account="2/hour"
    )
    resend = [client.post("/auth/verify-email/resend", headers=bearer(token)) for _ in range(3)]
    assert [reply.status_code for reply in resend] == [202, 202, 429]
    latest = links(app, smtp_server)[-1]
    assert len(links(app, smtp_server)) == 2
    assert verify(client, latest).status_code == 200
    again = client.post("/auth/verify-email/resend", headers=bearer(token))
    assert_reply(again, 200, "success", "The email address is already verified.")


def test_a_reset_token_does_not_verify(
    mail_app: Callable[..., Flask], smtp_server: SmtpServer
) -> None:
    app, client, token = registered(mail_app)
    client.post("/auth/password-reset", json={"email": "user1@example.com"})
    (reset,) = mailed_links(app, smtp_server, "/reset-password")
    assert_reply(verify(client, reset), 400, "error", REFUSED)
    assert "email_verified" not in status(client, token)


@pytest.mark.parametrize("token", ["", "x" * 129, None, 7], ids=["empty", "long", "null", "int"])
def test_malformed_tokens_are_400(mail_app: Callable[..., Flask], token: Any) -> None:
    reply = verify(mail_app().test_client(), token)
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Invalid payload."
