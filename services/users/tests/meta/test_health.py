"""/ping, /ready: the health routes the load balancer and the container health check call."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.users.tests.support.contract import assert_reply
from services.users.tests.support.helpers import UNREACHABLE_DATABASE, assert_json_error


def test_ping(client: FlaskClient) -> None:
    """GET /ping | 200 | success | pong!, and nothing else in the body."""
    body = assert_reply(client.get("/ping"), 200, "success", "pong!")
    assert body == {"status": "success", "message": "pong!"}


@pytest.mark.reference_defect(
    "had a health check that could not tell a database outage, and crashed as HTML"
)
def test_ping_does_not_need_the_database(make_app: Callable[..., Flask]) -> None:
    """/ping answers while the database is unreachable; routes that need it answer a JSON 503
    (the reference's health check could not tell, and crashes were HTML)."""
    client = make_app(database_url=UNREACHABLE_DATABASE).test_client()
    ping = client.get("/ping")
    assert ping.status_code == 200
    assert ping.get_json() == {"status": "success", "message": "pong!"}
    users = client.get("/users")
    assert users.status_code == 503
    assert users.is_json
    assert users.get_json()["status"] == "error"
    assert client.get("/ready").status_code == 503


def test_ready_with_database(client: FlaskClient) -> None:
    """/ready is 200 with checks.database ok when the database answers."""
    reply = client.get("/ready")
    assert reply.status_code == 200
    assert reply.content_type == "application/json"
    body = reply.get_json()
    assert body["status"] == "success"
    assert body["checks"] == {"database": "ok"}


def test_ready_without_database(offline_app: Flask) -> None:
    """/ready is 503 with checks.database unavailable when the database is down."""
    reply = offline_app.test_client().get("/ready")
    body = assert_json_error(reply, 503)
    assert body["checks"] == {"database": "unavailable"}
