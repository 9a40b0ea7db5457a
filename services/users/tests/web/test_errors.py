"""Every error leaves as JSON in the {status, message} envelope: never Werkzeug's HTML.

The reference answered unknown routes, wrong methods, malformed bodies and crashes with
HTML pages; clients of this service always get JSON.
"""

import json
import time
from collections.abc import Callable

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from users_service.config import Settings

from services.users.tests.support.helpers import assert_json_error, register_body

SECRET_CRASH_TEXT = "kaboom-internal-detail-1234"


# --- routing ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/auth/nope", "/users/1/extra", "/static/x.css"])
def test_unknown_route_is_json_404(client: FlaskClient, path: str) -> None:
    """Unknown routes answer 404 JSON."""
    body = assert_json_error(client.get(path), 404)
    assert body["status"] == "error"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/auth/register", "POST"),
        ("get", "/auth/login", "POST"),
        ("post", "/auth/logout", "GET"),
        ("delete", "/users", "GET"),
        ("put", "/ping", "GET"),
    ],
)
def test_wrong_method_is_json_405_with_allow(
    client: FlaskClient, method: str, path: str, allowed: str
) -> None:
    """A wrong method answers 405 JSON and keeps the Allow header."""
    reply = getattr(client, method)(path)
    assert_json_error(reply, 405)
    assert allowed in {item.strip() for item in reply.headers["Allow"].split(",")}


def test_malformed_json_is_json_400(client: FlaskClient) -> None:
    """A malformed JSON body is a JSON 400, not an HTML page."""
    reply = client.post("/auth/register", data="{oops", content_type="application/json")
    body = assert_json_error(reply, 400)
    assert body["message"] == "Invalid payload."


# --- body size ----------------------------------------------------------------------------


class TestBodyLimit:
    """MAX_BODY_BYTES=2048: larger bodies are refused before parsing."""

    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings]) -> Settings:
        return make_settings(max_body_bytes=2048)

    def test_oversized_body_is_json_413(self, client: FlaskClient) -> None:
        """A 4096-byte JSON body answers 413 JSON."""
        body = register_body(7)
        body["password"] = ""
        padding = 4096 - len(json.dumps(body).encode())
        body["password"] = "p" * padding
        data = json.dumps(body).encode()
        assert len(data) == 4096
        reply = client.post("/auth/register", data=data, content_type="application/json")
        assert_json_error(reply, 413)

    def test_oversized_seed_body_is_json_413(self, client: FlaskClient) -> None:
        """The limit applies to every route, not only the auth ones."""
        data = json.dumps({"num": 1, "pad": "x" * 4000})
        assert_json_error(client.post("/", data=data, content_type="application/json"), 413)

    def test_body_under_limit_is_accepted(self, client: FlaskClient) -> None:
        """An ordinary body under the limit still registers."""
        reply = client.post("/auth/register", json=register_body(7))
        assert reply.status_code == 201


# --- 415 and 500 --------------------------------------------------------------------------


def _crash() -> str:
    raise RuntimeError(SECRET_CRASH_TEXT)


@pytest.fixture
def app_with_extra_routes(app: Flask) -> Flask:
    """The app, with routes that abort(415) and crash (added before any request)."""
    app.add_url_rule("/_raise415", "raise415", view_func=lambda: abort(415))
    app.add_url_rule("/_crash", "crash", view_func=_crash)
    return app


def test_unsupported_media_type_is_json_415(app_with_extra_routes: Flask) -> None:
    """abort(415) answers 415 JSON."""
    reply = app_with_extra_routes.test_client().get("/_raise415")
    body = assert_json_error(reply, 415)
    assert body["status"] == "error"


def test_crash_is_json_500(app_with_extra_routes: Flask) -> None:
    """An unhandled exception answers 500 JSON with a fixed message."""
    reply = app_with_extra_routes.test_client().get("/_crash")
    body = assert_json_error(reply, 500)
    assert body == {"status": "error", "message": "Internal server error."}


def test_crash_does_not_leak_exception(app_with_extra_routes: Flask) -> None:
    """The exception's text and traceback stay out of the reply."""
    reply = app_with_extra_routes.test_client().get("/_crash")
    text = reply.get_data(as_text=True)
    assert SECRET_CRASH_TEXT not in text
    assert "RuntimeError" not in text
    assert "Traceback" not in text


def test_crash_keeps_identity_headers(app_with_extra_routes: Flask) -> None:
    """Even a crash reply carries the instance and request ids."""
    reply = app_with_extra_routes.test_client().get("/_crash", headers={"X-Request-Id": "c-1"})
    assert reply.status_code == 500
    assert reply.headers["X-Request-Id"] == "c-1"
    assert reply.headers["X-Instance-Id"] == "test-instance"


# --- database outage ----------------------------------------------------------------------


def test_unreachable_database_is_json_503(offline_app: Flask) -> None:
    """GET /users with the database down answers 503 JSON with Retry-After."""
    reply = offline_app.test_client().get("/users")
    body = assert_json_error(reply, 503)
    assert body["status"] == "error"
    assert reply.headers["Retry-After"].isdigit()
    assert int(reply.headers["Retry-After"]) > 0


def test_unreachable_database_answers_fast(offline_app: Flask) -> None:
    """The outage reply comes within 5 seconds, not after a hung connection."""
    started = time.monotonic()
    reply = offline_app.test_client().get("/users")
    assert reply.status_code == 503
    assert time.monotonic() - started < 5


def test_unreachable_database_login_is_503(offline_app: Flask) -> None:
    """A login during the outage is a 503, not `User does not exist.`"""
    reply = offline_app.test_client().post(
        "/auth/login", json={"email": "user7@example.com", "password": "whatever-123"}
    )
    assert_json_error(reply, 503)
    assert "Retry-After" in reply.headers


def test_unreachable_database_does_not_leak_url(offline_app: Flask) -> None:
    """The 503 reply names neither the database host nor its credentials."""
    text = offline_app.test_client().get("/users").get_data(as_text=True)
    assert "nobody" not in text
    assert "127.0.0.1" not in text


@pytest.mark.parametrize(
    ("method", "route", "code"),
    [("GET", "/no/such/route", 404), ("DELETE", "/ping", 405), ("GET", "/auth/register", 405)],
)
@pytest.mark.reference_defect("answered errors with HTML pages")
def test_errors_are_json_not_html(client: FlaskClient, method: str, route: str, code: int) -> None:
    """Envelope: every body is JSON with status and message (the reference sent HTML)."""
    reply = client.open(route, method=method)
    assert reply.status_code == code
    assert reply.is_json, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
