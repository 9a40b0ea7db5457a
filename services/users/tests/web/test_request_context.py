"""Identity headers on every reply: X-Instance-Id says which instance answered, X-Request-Id
ties a reply to its log lines (taken from the client or the ALB's trace header when safe).
"""

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TRACE_ID = "Root=1-67891233-abcdef012345678912345678"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def offline_client(offline_app: Flask) -> FlaskClient:
    """A client of an app whose database refuses connections."""
    return offline_app.test_client()


def _replies(client: FlaskClient, offline_client: FlaskClient) -> dict[int, TestResponse]:
    return {
        200: client.get("/ping"),
        404: client.get("/no-such-route"),
        400: client.post("/auth/register", json={}),
        503: offline_client.get("/users"),
    }


def test_every_reply_carries_instance_id(client: FlaskClient, offline_client: FlaskClient) -> None:
    """200, 404, 400 and 503 replies all name the instance."""
    for code, reply in _replies(client, offline_client).items():
        assert reply.status_code == code
        assert reply.headers["X-Instance-Id"] == "test-instance", code


def test_every_reply_carries_request_id(client: FlaskClient, offline_client: FlaskClient) -> None:
    """200, 404, 400 and 503 replies all carry a generated request id."""
    for code, reply in _replies(client, offline_client).items():
        assert reply.status_code == code
        assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"]), code


@pytest.mark.parametrize("code_path", ["/ping", "/no-such-route"])
def test_incoming_request_id_is_echoed(client: FlaskClient, code_path: str) -> None:
    """A safe X-Request-Id from the client comes back unchanged."""
    reply = client.get(code_path, headers={"X-Request-Id": "req-42.abc:7"})
    assert reply.headers["X-Request-Id"] == "req-42.abc:7"


def test_incoming_request_id_echoed_on_400(client: FlaskClient) -> None:
    """The id is echoed on a refusal too."""
    reply = client.post("/auth/register", json={}, headers={"X-Request-Id": "abc-400"})
    assert reply.status_code == 400
    assert reply.headers["X-Request-Id"] == "abc-400"


def test_incoming_request_id_echoed_on_503(offline_client: FlaskClient) -> None:
    """The id is echoed on a database outage too."""
    reply = offline_client.get("/users", headers={"X-Request-Id": "abc-503"})
    assert reply.status_code == 503
    assert reply.headers["X-Request-Id"] == "abc-503"


def test_alb_trace_id_used_without_request_id(client: FlaskClient) -> None:
    """With no X-Request-Id, the ALB's X-Amzn-Trace-Id is the request id."""
    reply = client.get("/ping", headers={"X-Amzn-Trace-Id": TRACE_ID})
    assert reply.headers["X-Request-Id"] == TRACE_ID


def test_request_id_wins_over_trace_id(client: FlaskClient) -> None:
    """An explicit X-Request-Id takes precedence over the trace header."""
    reply = client.get("/ping", headers={"X-Request-Id": "mine-1", "X-Amzn-Trace-Id": TRACE_ID})
    assert reply.headers["X-Request-Id"] == "mine-1"


@pytest.mark.parametrize(
    "unsafe",
    [
        "has spaces in it",
        'quote"d',
        "single'quote",
        "abc\\r\\nSet-Cookie: evil=1",
        "abc%0d%0aSet-Cookie:evil=1",
        "<script>alert(1)</script>",
        "x" * 300,
        "x" * 201,
        "é-unicode",
    ],
    ids=["spaces", "dquote", "squote", "crlf_escaped", "crlf_encoded", "html", "300", "201", "utf"],
)
def test_unsafe_request_id_is_replaced(client: FlaskClient, unsafe: str) -> None:
    """An unsafe or over-long incoming id is replaced by a generated 32-hex id."""
    reply = client.get("/ping", headers={"X-Request-Id": unsafe})
    assert reply.status_code == 200
    assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"])


def test_unsafe_trace_id_is_replaced(client: FlaskClient) -> None:
    """An unsafe X-Amzn-Trace-Id is not echoed either."""
    reply = client.get("/ping", headers={"X-Amzn-Trace-Id": "Root=1 ; evil stuff"})
    assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"])


def test_request_id_of_200_chars_is_kept(client: FlaskClient) -> None:
    """200 characters is still a safe id."""
    value = "r" * 200
    assert client.get("/ping", headers={"X-Request-Id": value}).headers["X-Request-Id"] == value


def test_generated_request_ids_differ(client: FlaskClient) -> None:
    """Without incoming ids, every request gets a fresh id."""
    ids = {client.get("/ping").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED_ID.fullmatch(value) for value in ids)
