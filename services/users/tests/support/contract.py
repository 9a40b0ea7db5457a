"""Checks and shortcuts for the reference's HTTP contract (docs/reference-contract.md).

A test whose docstring reads `ROUTE | code | status | message` pins that row of the
contract's "Literal replies" table: existing clients were written against these strings.
"""

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.users.tests.support.helpers import register_body

HTTP_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)


def assert_reply(reply: TestResponse, code: int, status: str, message: str) -> dict[str, Any]:
    """The contract's (code, status, message) triple, in a JSON body; returns the body."""
    assert reply.status_code == code, reply.get_data(as_text=True)
    assert reply.is_json, reply.get_data(as_text=True)
    body: dict[str, Any] = reply.get_json()
    assert body["status"] == status
    assert body["message"] == message
    return body


def register(client: FlaskClient, n: int | str = 1, **overrides: Any) -> TestResponse:
    return client.post("/auth/register", json=register_body(n, **overrides))


def token_of(reply: TestResponse) -> str:
    token = reply.get_json()["auth_token"]
    assert isinstance(token, str)
    assert token
    return token


def parse_http_date(value: object) -> datetime:
    assert isinstance(value, str)
    assert HTTP_DATE.match(value), value
    return parsedate_to_datetime(value)


def assert_invalid_payload(
    reply: TestResponse, status: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """A JSON 400 `Invalid payload.` (with `status` when given) whose `errors` are well-formed
    problems, one of them about `field` when given; returns the body."""
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.content_type == "application/json", reply.get_data(as_text=True)
    body: dict[str, Any] = reply.get_json()
    if status is not None:
        assert body["status"] == status
    assert body["message"] == "Invalid payload."
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors
    for item in errors:
        assert set(item) == {"field", "message", "type"}
        assert all(isinstance(value, str) for value in item.values())
    if field is not None:
        assert field in {item["field"] for item in errors}, errors
    return body


def assert_invalid_token(reply: TestResponse) -> None:
    """The contract's 401 for a token that cannot be trusted, and nothing else."""
    assert reply.status_code == 401, reply.get_data(as_text=True)
    assert reply.is_json
    assert reply.get_json() == {"status": "error", "message": "Invalid token. Please log in again."}
