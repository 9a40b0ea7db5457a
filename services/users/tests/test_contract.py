"""The reference's HTTP contract (shared/REFERENCE-CONTRACT.md): literal replies and shapes.

Each row of the contract's "Literal replies" table has its own test (or parametrized cases);
the docstrings name the row. Existing clients were written against these exact strings.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.auth.tokens import issue_access_token
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.helpers import PASSWORD, bearer, register_body

HTTP_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
SEED_USERS = [("michael", "michael@realpython.com"), ("michaelherman", "michael@mherman.org")]
# Bodies the contract calls "bad": a form, an empty object, an array, and a missing field.
BAD_BODIES: dict[str, dict[str, Any]] = {
    "form": {"data": {"username": "u", "email": "u@example.com", "password": PASSWORD}},
    "empty object": {"json": {}},
    "empty array": {"json": []},
    "array of a body": {"json": [register_body()]},
    "missing password": {"json": {"username": "u", "email": "u@example.com"}},
}


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


@pytest.fixture
def admin_token(make_user: Callable[..., User], login: Callable[..., str]) -> str:
    admin = make_user(username="admin", email="admin@example.com", admin=True)
    return login(admin.email)


@pytest.fixture
def user_token(make_user: Callable[..., User], login: Callable[..., str]) -> str:
    user = make_user(username="plain", email="plain@example.com")
    return login(user.email)


# --- Literal replies -------------------------------------------------------------------------


def test_ping(client: FlaskClient) -> None:
    """GET /ping | 200 | success | pong!"""
    assert_reply(client.get("/ping"), 200, "success", "pong!")


def test_register_ok(client: FlaskClient) -> None:
    """POST /auth/register ok | 201 | success | Successfully registered. (+ auth_token)"""
    reply = register(client)
    assert_reply(reply, 201, "success", "Successfully registered.")
    token = token_of(reply)
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "other@example.com"},  # same username
        {"username": "other"},  # same email
        {},  # both
    ],
    ids=["username taken", "email taken", "both taken"],
)
def test_register_user_or_email_taken(client: FlaskClient, overrides: dict[str, str]) -> None:
    """register: user or email taken | 400 | error | Sorry. That user already exists."""
    assert register(client).status_code == 201
    reply = register(client, **overrides)
    body = assert_reply(reply, 400, "error", "Sorry. That user already exists.")
    assert "auth_token" not in body


@pytest.mark.parametrize("route", ["/auth/register", "/auth/login"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_register_and_login_bad_body(client: FlaskClient, route: str, body: dict[str, Any]) -> None:
    """register / login: bad body | 400 | error | Invalid payload."""
    reply = client.post(route, **body)
    response = assert_reply(reply, 400, "error", "Invalid payload.")
    assert "auth_token" not in response


@pytest.mark.parametrize("route", ["/auth/register", "/auth/login"])
def test_register_and_login_malformed_json(client: FlaskClient, route: str) -> None:
    """register / login: bad body (JSON that does not parse) | 400 | error | Invalid payload."""
    reply = client.post(route, data='{"email": ', content_type="application/json")
    assert_reply(reply, 400, "error", "Invalid payload.")


def test_login_ok(client: FlaskClient, make_user: Callable[..., User]) -> None:
    """POST /auth/login ok | 200 | success | Successfully logged in. (+ auth_token)"""
    user = make_user()
    reply = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert_reply(reply, 200, "success", "Successfully logged in.")
    status = client.get("/auth/status", headers=bearer(token_of(reply)))
    assert status.get_json()["data"]["email"] == user.email


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.com", PASSWORD), ("known@example.com", "wrong password!")],
    ids=["unknown email", "wrong password"],
)
def test_login_unknown_email_or_wrong_password(
    client: FlaskClient, make_user: Callable[..., User], email: str, password: str
) -> None:
    """login: unknown email or wrong password | 404 | error | User does not exist."""
    make_user(email="known@example.com")
    reply = client.post("/auth/login", json={"email": email, "password": password})
    body = assert_reply(reply, 404, "error", "User does not exist.")
    assert "auth_token" not in body


def test_logout_ok(client: FlaskClient, user_token: str) -> None:
    """GET /auth/logout ok | 200 | success | Successfully logged out."""
    reply = client.get("/auth/logout", headers=bearer(user_token))
    assert_reply(reply, 200, "success", "Successfully logged out.")


PROTECTED = [("GET", "/auth/logout"), ("GET", "/auth/status"), ("POST", "/users")]


@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_no_authorization_header(client: FlaskClient, method: str, route: str) -> None:
    """no Authorization header | 403 | error | Provide a valid auth token."""
    reply = client.open(route, method=method, json=register_body())
    assert_reply(reply, 403, "error", "Provide a valid auth token.")


@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_expired_token(
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[..., str],
    fake_clock: FakeClock,
    settings: Settings,
    method: str,
    route: str,
) -> None:
    """expired token | 401 | error | Signature expired. Please log in again."""
    user = make_user(admin=True)
    real_now = fake_clock.current
    fake_clock.advance(seconds=-(settings.access_token_ttl_seconds + 60))
    token = login(user.email)  # issued long enough ago to have expired a minute ago
    fake_clock.current = real_now
    reply = client.open(route, method=method, headers=bearer(token), json=register_body(9))
    assert_reply(reply, 401, "error", "Signature expired. Please log in again.")


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"],
    ids=["not a jwt", "three junk segments", "bad signature"],
)
@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_invalid_token(client: FlaskClient, method: str, route: str, token: str) -> None:
    """invalid token | 401 | error | Invalid token. Please log in again."""
    reply = client.open(route, method=method, headers=bearer(token), json=register_body(9))
    assert_reply(reply, 401, "error", "Invalid token. Please log in again.")


def test_token_signed_with_another_secret(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """invalid token (well-formed, but signed with a different key) | 401 | error | Invalid ..."""
    user = make_user()
    token = issue_access_token(user.id, "another secret that is long enough for hs256!", 900)
    reply = client.get("/auth/status", headers=bearer(token))
    assert_reply(reply, 401, "error", "Invalid token. Please log in again.")


def _delete_user(app: Flask, user_id: int) -> None:
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()


def _deactivate_user(app: Flask, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        user.active = False
        db.session.commit()


@pytest.mark.parametrize("change", [_delete_user, _deactivate_user], ids=["missing", "inactive"])
@pytest.mark.parametrize(("method", "route"), PROTECTED)
def test_token_for_missing_or_inactive_user(
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[..., str],
    change: Callable[[Flask, int], None],
    method: str,
    route: str,
) -> None:
    """token for a missing or inactive user | 401 | error | Something went wrong. Please ..."""
    user = make_user(admin=True)
    token = login(user.email)
    change(app, user.id)
    reply = client.open(route, method=method, headers=bearer(token), json=register_body(9))
    assert_reply(reply, 401, "error", "Something went wrong. Please contact us.")


@pytest.mark.parametrize(
    "body",
    [{"json": register_body(9)}, {}, {"json": {}}, {"json": []}, {"data": "not json"}],
    ids=["valid body", "no body", "empty object", "array", "form"],
)
def test_add_user_by_non_admin(client: FlaskClient, user_token: str, body: dict[str, Any]) -> None:
    """POST /users by a non-admin | 401 | error | You do not have permission to do that.

    The admin check comes before the body: even an empty or invalid body gets this reply.
    """
    reply = client.post("/users", headers=bearer(user_token), **body)
    assert_reply(reply, 401, "error", "You do not have permission to do that.")
    users = client.get("/users").get_json()["data"]["users"]
    assert [u["email"] for u in users] == ["plain@example.com"]


@pytest.mark.parametrize(
    "body",
    [
        *BAD_BODIES.values(),
        {},
        {"json": register_body(9, email="nope")},
        {"json": register_body(9, username="")},
        {"json": register_body(9, password="short")},
    ],
    ids=[*BAD_BODIES.keys(), "no body", "bad email", "empty username", "short password"],
)
def test_add_user_bad_body(client: FlaskClient, admin_token: str, body: dict[str, Any]) -> None:
    """POST /users: bad body | 400 | fail | Invalid payload."""
    reply = client.post("/users", headers=bearer(admin_token), **body)
    assert_reply(reply, 400, "fail", "Invalid payload.")


@pytest.mark.parametrize(
    "email", ["taken@example.com", "TAKEN@example.com"], ids=["same", "other case"]
)
def test_add_user_email_taken(
    client: FlaskClient, admin_token: str, make_user: Callable[..., User], email: str
) -> None:
    """POST /users: email taken | 400 | fail | Sorry. That email already exists."""
    make_user(username="taken", email="taken@example.com")
    reply = client.post("/users", headers=bearer(admin_token), json=register_body(9, email=email))
    assert_reply(reply, 400, "fail", "Sorry. That email already exists.")


def test_add_user_ok(client: FlaskClient, admin_token: str) -> None:
    """POST /users ok | 201 | success | <email> was added!"""
    body = register_body(9, email="new.person@example.com")
    reply = client.post("/users", headers=bearer(admin_token), json=body)
    assert_reply(reply, 201, "success", "new.person@example.com was added!")
    login = client.post("/auth/login", json={"email": body["email"], "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize(
    "user_id",
    ["abc", "1.5", "-1", "0", "1e3", " 1", "999999", "9" * 19, "9" * 40, "%C2%B2"],
)
def test_get_user_not_an_int_or_unknown(
    client: FlaskClient, make_user: Callable[..., User], user_id: str
) -> None:
    """GET /users/<id>: not an int, or unknown | 404 | fail | User does not exist (no period)"""
    make_user()
    reply = client.get(f"/users/{user_id}")
    assert_reply(reply, 404, "fail", "User does not exist")


def test_get_user_deleted_id(
    app: Flask, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """GET /users/<id>: unknown (an id that existed) | 404 | fail | User does not exist"""
    user = make_user()
    _delete_user(app, user.id)
    assert_reply(client.get(f"/users/{user.id}"), 404, "fail", "User does not exist")


# --- Order of checks on POST /users ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"json": {}}, {"json": []}, {"json": register_body(9)}],
    ids=["no body", "empty object", "array", "valid body"],
)
def test_add_user_checks_authentication_first(client: FlaskClient, body: dict[str, Any]) -> None:
    """Order on POST /users: no header is 403 and a bad token 401, whatever the body."""
    assert client.post("/users", **body).status_code == 403
    reply = client.post("/users", headers=bearer("garbage"), **body)
    assert_reply(reply, 401, "error", "Invalid token. Please log in again.")


def test_add_user_checks_admin_before_body(client: FlaskClient, user_token: str) -> None:
    """Order on POST /users: a non-admin's empty body is 401, not 400 (admin check first)."""
    reply = client.post("/users", headers=bearer(user_token), json={})
    assert reply.status_code == 401
    assert reply.get_json()["message"] == "You do not have permission to do that."


# --- Shapes ----------------------------------------------------------------------------------


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


def test_users_list_shape_newest_first(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """GET /users -> data: {users: [{id, username, email, created_at}, ...]}, newest first"""
    created = []
    for n in range(3):
        created.append(make_user(username=f"person{n}", email=f"person{n}@example.com"))
        fake_clock.advance(minutes=1)
    reply = client.get("/users")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    users = body["data"]["users"]
    assert [u["username"] for u in users] == ["person2", "person1", "person0"]
    assert [u["id"] for u in users] == [u.id for u in reversed(created)]
    for item in users:
        assert {"id", "username", "email", "created_at"} <= item.keys()
        assert "password" not in item
        assert item["email"] == f"{item['username']}@example.com"
    stamps = [parse_http_date(u["created_at"]) for u in users]
    assert stamps == sorted(stamps, reverse=True)


def test_users_list_empty(client: FlaskClient) -> None:
    """GET /users with no users -> data.users is an empty list"""
    reply = client.get("/users")
    assert reply.status_code == 200
    assert reply.get_json()["data"]["users"] == []


def test_single_user_shape(client: FlaskClient, make_user: Callable[..., User]) -> None:
    """GET /users/<id> -> data: {username, email, created_at}"""
    user = make_user(username="single", email="single@example.com")
    reply = client.get(f"/users/{user.id}")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "success"
    data = body["data"]
    assert {"username", "email", "created_at"} <= data.keys()
    assert (data["username"], data["email"]) == ("single", "single@example.com")
    assert "password" not in data
    parse_http_date(data["created_at"])


def test_created_at_is_an_http_date(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """created_at is an HTTP-date string such as `Sat, 21 Nov 2026 06:53:34 GMT`"""
    fake_clock.current = datetime(2026, 11, 21, 6, 53, 34, 250_000, tzinfo=UTC)
    user = make_user()
    value = client.get(f"/users/{user.id}").get_json()["data"]["created_at"]
    assert value == "Sat, 21 Nov 2026 06:53:34 GMT"
    assert parse_http_date(value) == datetime(2026, 11, 21, 6, 53, 34, tzinfo=UTC)


def test_token_travels_as_a_string_in_a_bearer_header(client: FlaskClient) -> None:
    """Header: `Authorization: Bearer <token>`; the token is a string in `auth_token`."""
    token = token_of(register(client))
    assert token.count(".") == 2
    reply = client.get("/auth/status", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200


@pytest.mark.parametrize("route", ["/auth/logout", "/auth/status"])
def test_logout_and_status_are_get(client: FlaskClient, user_token: str, route: str) -> None:
    """/auth/logout and /auth/status are GET (other methods: a JSON 405, not HTML)."""
    assert client.get(route, headers=bearer(user_token)).status_code == 200
    reply = client.post(route, headers=bearer(user_token))
    assert reply.status_code == 405
    assert reply.is_json
    assert reply.get_json()["status"] == "error"


@pytest.mark.parametrize(("username", "email"), SEED_USERS, ids=[u for u, _ in SEED_USERS])
def test_seed_users_register_and_are_not_admins(
    client: FlaskClient, username: str, email: str
) -> None:
    """The reference's seed users can be registered; neither is an admin."""
    reply = client.post(
        "/auth/register", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert_reply(reply, 201, "success", "Successfully registered.")
    token = token_of(reply)
    status = client.get("/auth/status", headers=bearer(token)).get_json()["data"]
    assert (status["username"], status["email"]) == (username, email)
    assert status.get("admin", False) is False
    denied = client.post("/users", headers=bearer(token), json=register_body(9))
    assert_reply(denied, 401, "error", "You do not have permission to do that.")


# --- Envelope --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route", "code"),
    [("GET", "/no/such/route", 404), ("DELETE", "/ping", 405), ("GET", "/auth/register", 405)],
)
def test_errors_are_json_not_html(client: FlaskClient, method: str, route: str, code: int) -> None:
    """Envelope: every body is JSON with status and message (the reference sent HTML)."""
    reply = client.open(route, method=method)
    assert reply.status_code == code
    assert reply.is_json, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["status"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
