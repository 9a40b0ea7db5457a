"""POST /auth/login: the contract's replies, refused input, and what a refusal costs (one
password verification, whether or not the account exists).
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.bodies import BAD_BODIES, NOT_JSON_BODIES, WRONG_TYPED_VALUES
from services.users.tests.support.contract import assert_invalid_payload, assert_reply, token_of
from services.users.tests.support.helpers import (
    PASSWORD,
    PRODUCTION_HASHING,
    bearer,
    register_body,
)
from services.users.tests.support.passwords import VerificationCounter

# Bodies the contract calls "bad": a form, an empty object, an array, and a missing field.
INVALID = "Invalid payload."


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


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(username="alice", email="alice@example.com")


@pytest.mark.reference_defect("answered a field of the wrong type with a 500 HTML page")
@pytest.mark.parametrize("value", WRONG_TYPED_VALUES.values(), ids=WRONG_TYPED_VALUES.keys())
@pytest.mark.parametrize("field", ["email", "password"])
def test_login_field_of_wrong_type(
    client: FlaskClient, user: User, field: str, value: object
) -> None:
    """Defect: any field of the wrong type gave a 500 HTML page (login too): here a JSON 400
    `Invalid payload.` naming the field, for an existing account's email too."""
    body = {"email": user.email, "password": PASSWORD, field: value}
    assert_invalid_payload(client.post("/auth/login", json=body), "error", field)


@pytest.mark.reference_defect("kept emails unique only case-sensitively")
def test_login_email_is_case_insensitive(client: FlaskClient) -> None:
    """Follows from case-insensitive uniqueness: the account is found whatever the case."""
    assert (
        client.post("/auth/register", json=register_body(email="Mixed@Example.com")).status_code
        == 201
    )
    reply = client.post("/auth/login", json={"email": "mixed@example.com", "password": PASSWORD})
    assert reply.status_code == 200


@pytest.mark.reference_defect("let inactive users log in")
def test_inactive_user_cannot_log_in(client: FlaskClient, make_user: Callable[..., User]) -> None:
    """Defect: inactive users could log in (and got a useless token)."""
    inactive = make_user(active=False)
    reply = client.post("/auth/login", json={"email": inactive.email, "password": PASSWORD})
    assert reply.status_code == 404
    body = reply.get_json()
    assert body == {"status": "error", "message": "User does not exist."}
    assert "auth_token" not in body


@pytest.mark.reference_defect(
    "told by its login time whether an email exists (2 ms unknown, 400 ms wrong password)"
)
@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("nobody@example.com", PASSWORD),
        ("alice@example.com", "wrong password!"),
        ("inactive@example.com", PASSWORD),
    ],
    ids=["unknown email", "wrong password", "inactive user"],
)
def test_every_failed_login_verifies_one_password(
    app: Flask,
    client: FlaskClient,
    user: User,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
) -> None:
    """Defect: account enumeration by timing (unknown email ~2 ms, wrong password ~400 ms).
    Structurally: every refused login costs exactly one argon2 verification and no hash."""
    make_user(email="inactive@example.com", active=False)
    counter = VerificationCounter(app, monkeypatch)
    reply = client.post("/auth/login", json={"email": email, "password": password})
    assert reply.status_code == 404
    assert counter.counts == (1, 1, 0)


def test_successful_login_also_verifies_one_password(
    app: Flask, client: FlaskClient, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control for the counter above: it does see a real verification."""
    counter = VerificationCounter(app, monkeypatch)
    reply = client.post("/auth/login", json={"email": user.email, "password": PASSWORD})
    assert reply.status_code == 200
    assert counter.counts == (1, 1, 0)


def _median_login_seconds(
    client: FlaskClient, bodies: list[dict[str, str]], rounds: int
) -> list[float]:
    """Each body's median login time, the bodies taking turns, so that other work on the
    machine slows them alike."""
    durations: list[list[float]] = [[] for _ in bodies]
    for round_number in range(rounds + 1):
        for body, times in zip(bodies, durations, strict=True):
            start = time.perf_counter()
            reply = client.post("/auth/login", json=body)
            if round_number:  # the first round warms up
                times.append(time.perf_counter() - start)
            assert reply.status_code == 404
    return [statistics.median(times) for times in durations]


@pytest.mark.reference_defect(
    "told by its login time whether an email exists (2 ms unknown, 400 ms wrong password)"
)
def test_login_time_does_not_reveal_whether_an_email_exists(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    """Defect: login took ~2 ms for an unknown email and ~400 ms for a wrong password
    (a ~200x ratio). Measured with the production hashing parameters."""
    client = make_app(**PRODUCTION_HASHING).test_client()  # same database as `app`
    assert client.post("/auth/register", json=register_body("timed")).status_code == 201
    unknown, wrong = _median_login_seconds(
        client,
        [
            {"email": "nobody@example.com", "password": PASSWORD},
            {"email": "usertimed@example.com", "password": "wrong password!"},
        ],
        rounds=9,
    )
    print(
        f"median login: unknown email {unknown * 1000:.1f} ms, wrong password {wrong * 1000:.1f} ms"
    )
    assert 0.5 <= unknown / wrong <= 2, (unknown, wrong)


def test_login_with_a_nul_in_the_email_is_an_unknown_user(client: FlaskClient) -> None:
    """Found by the fuzz tests: PostgreSQL text cannot hold NUL, and the lookup crashed (500).
    No stored email has one, so it is the same 404 as any unknown email."""
    reply = client.post("/auth/login", json={"email": "a\x00@example.com", "password": PASSWORD})
    assert reply.status_code == 404
    assert reply.get_json()["message"] == "User does not exist."


@pytest.mark.parametrize("field", ["email", "password"])
def test_login_missing_field_is_refused(client: FlaskClient, field: str) -> None:
    """Login without email or password is `Invalid payload.`"""
    body = {"email": "user1@example.com", "password": PASSWORD}
    del body[field]
    assert_invalid_payload(client.post("/auth/login", json=body), "error", field)


def test_login_wrong_type_does_not_echo_password(client: FlaskClient) -> None:
    """A refused login body does not echo its password."""
    reply = client.post("/auth/login", json={"email": 1, "password": "Secret-Pa55word-log"})
    assert reply.status_code == 400
    assert "Secret-Pa55word-log" not in reply.get_data(as_text=True)


@pytest.mark.parametrize(("data", "content_type"), NOT_JSON_BODIES.values(), ids=NOT_JSON_BODIES)
def test_login_non_object_body_is_invalid_payload(
    client: FlaskClient, data: str, content_type: str
) -> None:
    """Login with anything but a JSON object is `Invalid payload.`"""
    reply = client.post("/auth/login", data=data, content_type=content_type)
    assert_invalid_payload(reply, "error", "")
