"""Logout revokes the token on every instance, through the database, until it expires."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.models import User

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import assert_invalid_token, assert_reply
from services.users.tests.support.helpers import bearer
from services.users.tests.support.revocations import (
    add_revocation,
    assert_prune_expired,
    revoked_rows,
)

INVALID = "Invalid token. Please log in again."


def jti_of(token: str) -> str:
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


@pytest.fixture
def second_instance(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """Another application on the same database, as a second task behind the load balancer."""
    return make_app(instance_id="second-instance")


def test_logout_answers_contract_reply(client: FlaskClient, token: str) -> None:
    """GET /auth/logout with a good token is the contract's success reply."""
    reply = client.get("/auth/logout", headers=bearer(token))
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "success", "message": "Successfully logged out."}


@pytest.mark.reference_defect("logout did nothing: the token kept working")
def test_logged_out_token_is_refused_on_status(client: FlaskClient, token: str) -> None:
    """After logout the token no longer authenticates (the reference's logout did nothing)."""
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


def test_second_logout_with_same_token_is_refused(
    client: FlaskClient, app: Flask, token: str
) -> None:
    """Logging out twice: the second is a 401 (no 500) and the token is recorded once."""
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid_token(client.get("/auth/logout", headers=bearer(token)))
    assert list(revoked_rows(app)) == [jti_of(token)]


def test_logged_out_token_cannot_create_users(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """A revoked admin token is refused by the admin-only route too."""
    admin = make_user(admin=True)
    token = login(admin.email)
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    body = {"username": "newbie", "email": "newbie@example.com", "password": "long enough pw"}
    assert_invalid_token(client.post("/users", json=body, headers=bearer(token)))


def test_revocation_records_the_token_expiry(client: FlaskClient, app: Flask, token: str) -> None:
    """The revocation row keeps the token's id until the token's own expiry."""
    client.get("/auth/logout", headers=bearer(token))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert revoked_rows(app) == {claims["jti"]: datetime.fromtimestamp(claims["exp"], UTC)}


def test_concurrent_logouts_with_same_token_never_fail(
    app: Flask, second_instance: Flask, user: User, login: Callable[..., str]
) -> None:
    """Two instances logging out the same token at once: 200 or 401, never 5xx; one row."""
    tokens = [login(user.email) for _ in range(4)]
    codes: list[int] = []

    def log_out(instance: Flask, token: str, barrier: threading.Barrier) -> None:
        client = instance.test_client()
        barrier.wait(timeout=10)
        codes.append(client.get("/auth/logout", headers=bearer(token)).status_code)

    for token in tokens:
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=log_out, args=(instance, token, barrier))
            for instance in (app, second_instance)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(codes) == 2 * len(tokens)
    assert set(codes) <= {200, 401}
    assert codes.count(200) >= len(tokens)
    assert set(revoked_rows(app)) == {jti_of(token) for token in tokens}


def test_other_token_of_same_user_still_works(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Logging out one session leaves the user's other sessions alone."""
    first, second = login(user.email), login(user.email)
    assert client.get("/auth/logout", headers=bearer(first)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(first)))
    reply = client.get("/auth/status", headers=bearer(second))
    assert reply.status_code == 200
    assert reply.get_json()["data"]["id"] == user.id


def test_other_user_token_still_works(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """One user's logout does not affect another user."""
    alice, bob = make_user(), make_user()
    alice_token, bob_token = login(alice.email), login(bob.email)
    client.get("/auth/logout", headers=bearer(alice_token))
    assert client.get("/auth/status", headers=bearer(bob_token)).status_code == 200


def test_logout_on_one_instance_is_seen_by_another(
    client: FlaskClient, second_instance: Flask, token: str
) -> None:
    """Two instances on one database: logging out on the first revokes on the second."""
    other = second_instance.test_client()
    assert other.get("/auth/status", headers=bearer(token)).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid_token(other.get("/auth/status", headers=bearer(token)))
    assert_invalid_token(other.get("/auth/logout", headers=bearer(token)))


def test_logout_on_second_instance_is_seen_by_first(
    client: FlaskClient, second_instance: Flask, user: User, login: Callable[..., str]
) -> None:
    """Revocation is shared both ways; the user's other token works on both instances."""
    other = second_instance.test_client()
    revoked, kept = login(user.email), login(user.email)
    assert other.get("/auth/logout", headers=bearer(revoked)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(revoked)))
    assert client.get("/auth/status", headers=bearer(kept)).status_code == 200
    assert other.get("/auth/status", headers=bearer(kept)).status_code == 200


def test_logout_leaves_pruning_to_the_prune_expired_command(
    client: FlaskClient, app: Flask, token: str, fake_clock: FakeClock
) -> None:
    """A logout writes its revocations and nothing else: expired rows stay until
    `users-service prune-expired`, so no request pays for cleaning three tables."""
    now = fake_clock.current
    add_revocation(app, "expired-a-minute-ago", now - timedelta(minutes=1))
    add_revocation(app, "expires-in-an-hour", now + timedelta(hours=1))
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert "expired-a-minute-ago" in revoked_rows(app)
    assert_prune_expired(app, removed=1, left={"expires-in-an-hour", jti_of(token)})


def test_logout_ok(client: FlaskClient, user_token: str) -> None:
    """GET /auth/logout ok | 200 | success | Successfully logged out."""
    reply = client.get("/auth/logout", headers=bearer(user_token))
    assert_reply(reply, 200, "success", "Successfully logged out.")


INVALID_TOKEN = "Invalid token. Please log in again."


@pytest.mark.reference_defect("logout did nothing: the token kept working")
def test_logout_revokes_the_token(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Defect: logout did nothing, the token kept working."""
    token = login(user.email)
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))
    assert_invalid_token(client.get("/auth/logout", headers=bearer(token)))


@pytest.mark.reference_defect("logout did nothing: the token kept working")
def test_logout_revokes_only_that_token(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Defect: logout did nothing. Revoking one token leaves the user's other sessions alone."""
    first, second = login(user.email), login(user.email)
    assert client.get("/auth/logout", headers=bearer(first)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(first)))
    assert client.get("/auth/status", headers=bearer(second)).status_code == 200
