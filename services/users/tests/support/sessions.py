"""Shortcuts for the tests of sessions: log in for a token pair, refresh, and probe a token."""

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.models import User

from services.users.tests.support.helpers import PASSWORD, bearer

INVALID = "Invalid token. Please log in again."


def login_pair(
    client: FlaskClient, user: User, password: str = PASSWORD, **headers: str
) -> dict[str, Any]:
    """Log in; the reply's body (access token, refresh token)."""
    reply = client.post(
        "/auth/login", json={"email": user.email, "password": password}, headers=headers
    )
    assert reply.status_code == 200, reply.get_json()
    body: dict[str, Any] = reply.get_json()
    return body


def refresh(client: FlaskClient, token: Any) -> TestResponse:
    return client.post("/auth/refresh", json={"refresh_token": token})


def status_code(client: FlaskClient, access_token: str) -> int:
    return client.get("/auth/status", headers=bearer(access_token)).status_code


def assert_refused(reply: TestResponse, message: str = INVALID) -> None:
    """The contract's 401 for a token that cannot be trusted."""
    assert reply.status_code == 401, reply.get_json()
    assert reply.get_json() == {"status": "error", "message": message}


def assert_pair_dead(client: FlaskClient, pair: dict[str, Any]) -> None:
    """Neither the access token nor the refresh token of `pair` works any more."""
    assert status_code(client, pair["auth_token"]) == 401
    assert_refused(refresh(client, pair["refresh_token"]))
