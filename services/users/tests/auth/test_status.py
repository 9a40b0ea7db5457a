"""GET /auth/status and the methods of the token routes (the contract's shapes)."""

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from services.users.tests.support.contract import parse_http_date, register, token_of
from services.users.tests.support.helpers import bearer


def test_status_shape(client: FlaskClient) -> None:
    """GET /auth/status -> data: {id, username, email, active, created_at}"""
    before = datetime.now(UTC).replace(microsecond=0)
    token = token_of(register(client, 1))
    reply = client.get("/auth/status", headers=bearer(token))
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    data = body["data"]
    assert {"id", "username", "email", "active", "created_at"} <= data.keys()
    assert isinstance(data["id"], int)
    assert (data["username"], data["email"], data["active"]) == (
        "user1",
        "user1@example.com",
        True,
    )
    created = parse_http_date(data["created_at"])
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize("route", ["/auth/logout", "/auth/status"])
def test_logout_and_status_are_get(client: FlaskClient, user_token: str, route: str) -> None:
    """/auth/logout and /auth/status are GET (other methods: a JSON 405, not HTML)."""
    assert client.get(route, headers=bearer(user_token)).status_code == 200
    reply = client.post(route, headers=bearer(user_token))
    assert reply.status_code == 405
    assert reply.is_json
    assert reply.get_json()["status"] == "error"
