"""The auth routes' security events: one per login, failed login, logout, reused refresh token
and rate-limit refusal, naming the account (when there is one) and the request, and never the
password, the tokens or the email."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import RefreshToken, User

from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.limits import GENEROUS, assert_too_many
from services.users.tests.support.security_events import (
    assert_none_in,
    security_events,
    without_time,
)

WRONG = "not the password at all"
Capture = pytest.CaptureFixture[str]


def event(name: str, user_id: int | None, request_id: str) -> dict[str, Any]:
    """An event line of the test client's requests, less its time."""
    return {
        "event": name,
        "user_id": user_id,
        "client": "127.0.0.1",
        "request_id": request_id,
        "instance": "test-instance",
    }


def log_in(client: FlaskClient, email: str, password: str, request_id: str) -> Any:
    body = {"email": email, "password": password}
    return client.post("/auth/login", json=body, headers={"X-Request-Id": request_id})


def refresh(client: FlaskClient, token: str, request_id: str) -> Any:
    body = {"refresh_token": token}
    return client.post("/auth/refresh", json=body, headers={"X-Request-Id": request_id})


def logged(capsys: Capture) -> tuple[list[dict[str, Any]], str]:
    """The events written since the last call, less their time, and the whole output."""
    output = capsys.readouterr().out
    return without_time(security_events(output)), output


def test_a_login_logs_its_account(client: FlaskClient, user: User, capsys: Capture) -> None:
    reply = log_in(client, user.email, PASSWORD, "login-ok")
    assert reply.status_code == 200
    events, output = logged(capsys)
    assert events == [event("login.succeeded", user.id, "login-ok")]
    body = reply.get_json()
    assert_none_in(output, PASSWORD, user.email, body["auth_token"], body["refresh_token"])


def test_a_wrong_password_logs_a_failure_of_the_account(
    client: FlaskClient, user: User, capsys: Capture
) -> None:
    assert log_in(client, user.email, WRONG, "login-wrong").status_code == 404
    events, output = logged(capsys)
    assert events == [event("login.failed", user.id, "login-wrong")]
    assert_none_in(output, WRONG, user.email)


def test_an_inactive_account_logs_a_failure_of_the_account(
    client: FlaskClient, make_user: Callable[..., User], capsys: Capture
) -> None:
    user = make_user(active=False)
    assert log_in(client, user.email, PASSWORD, "login-inactive").status_code == 404
    assert logged(capsys)[0] == [event("login.failed", user.id, "login-inactive")]


def test_an_unknown_email_logs_a_failure_of_no_account(
    client: FlaskClient, capsys: Capture
) -> None:
    """What a guesser typed is not written anywhere."""
    email = "nobody-here@example.com"
    assert log_in(client, email, WRONG, "login-unknown").status_code == 404
    events, output = logged(capsys)
    assert events == [event("login.failed", None, "login-unknown")]
    assert_none_in(output, WRONG, email, "nobody-here")


def test_logout_logs_its_account(client: FlaskClient, user: User, capsys: Capture) -> None:
    token = log_in(client, user.email, PASSWORD, "before").get_json()["auth_token"]
    capsys.readouterr()
    headers = {**bearer(token), "X-Request-Id": "logout-1"}
    assert client.get("/auth/logout", headers=headers).status_code == 200
    events, output = logged(capsys)
    assert events == [event("logout", user.id, "logout-1")]
    assert_none_in(output, token)


def test_a_reused_refresh_token_logs_its_account_once(
    client: FlaskClient, user: User, capsys: Capture
) -> None:
    """Spending a refresh token logs nothing; presenting it again logs the reuse (and the
    refusals of its family's tokens that follow are not reuses)."""
    first = log_in(client, user.email, PASSWORD, "before").get_json()
    second = refresh(client, first["refresh_token"], "refresh-ok").get_json()
    capsys.readouterr()
    assert refresh(client, first["refresh_token"], "refresh-again").status_code == 401
    assert refresh(client, second["refresh_token"], "refresh-revoked").status_code == 401
    events, output = logged(capsys)
    assert events == [event("refresh.reused", user.id, "refresh-again")]
    assert_none_in(output, first["refresh_token"], second["refresh_token"], second["auth_token"])


def test_a_refresh_whose_token_goes_meanwhile_is_refused_without_a_reuse_event(
    client: FlaskClient, user: User, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A logout, a password change or the account's deletion can remove the token between
    the refresh's read of it and its spending: a refusal, not a copied token."""
    pair = log_in(client, user.email, PASSWORD, "before").get_json()
    spend = RefreshToken.spend

    def removed_first(row: RefreshToken, session: Any) -> bool:
        RefreshToken.remove_all(session, row.user_id)
        return spend(row, session)

    monkeypatch.setattr(RefreshToken, "spend", removed_first)
    capsys.readouterr()
    assert refresh(client, pair["refresh_token"], "refresh-raced").status_code == 401
    assert logged(capsys)[0] == []


def test_an_unknown_refresh_token_logs_nothing(client: FlaskClient, capsys: Capture) -> None:
    assert refresh(client, "no-such-refresh-token", "refresh-unknown").status_code == 401
    assert logged(capsys)[0] == []


@pytest.mark.parametrize(
    ("limits", "password", "first_event"),
    [
        ({"rate_limit_login_per_ip": "1/minute"}, PASSWORD, "login.succeeded"),
        (
            {"rate_limit_login_per_ip": GENEROUS, "rate_limit_login_per_account": "1/minute"},
            WRONG,
            "login.failed",
        ),
    ],
    ids=["address budget", "failure budget"],
)
def test_a_refusal_is_logged_without_account(
    limited: Callable[..., Flask],
    user: User,
    window_start: datetime,
    capsys: Capture,
    limits: dict[str, str],
    password: str,
    first_event: str,
) -> None:
    """The second login is refused by a budget: a rate limit, not an account's event (login's
    failure budgets refuse before the password is checked: not another failed login)."""
    client = limited(**limits).test_client()
    log_in(client, user.email, password, "first")
    assert_too_many(log_in(client, user.email, password, "second"))
    events, output = logged(capsys)
    assert events == [
        event(first_event, user.id, "first"),
        event("rate.limited", None, "second"),
    ]
    assert_none_in(output, password, user.email)
