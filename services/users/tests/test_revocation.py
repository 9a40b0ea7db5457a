"""Logout revokes the token on every instance, through the database, until it expires."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from flask.testing import FlaskClient
from sqlalchemy import select

from users_service.models import RevokedToken, User
from users_service.models.database import db

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.helpers import bearer

INVALID = "Invalid token. Please log in again."


def jti_of(token: str) -> str:
    jti: str = jwt.decode(token, options={"verify_signature": False})["jti"]
    return jti


def revoked_rows(app: Flask) -> dict[str, datetime]:
    """Revoked access-token ids (session families are covered by test_refresh_tokens)."""
    with app.app_context():
        rows = db.session.execute(select(RevokedToken.jti, RevokedToken.expires_at)).all()
        return {jti: expires_at for jti, expires_at in rows if not jti.startswith("family:")}


def add_revocation(app: Flask, jti: str, expires_at: datetime) -> None:
    with app.app_context():
        db.session.add(RevokedToken(jti=jti, expires_at=expires_at))
        db.session.commit()


def run_cli(app: Flask, *args: str) -> Result:
    """Run a command as `users-service ...` does: a FlaskGroup that loads this app."""
    operator_cli = FlaskGroup(create_app=lambda: app, load_dotenv=False)
    return app.test_cli_runner().invoke(operator_cli, args=list(args))


def assert_prune_expired(app: Flask, removed: int, left: set[str]) -> None:
    """`users-service prune-expired` succeeds, reports `removed` entries and leaves `left`."""
    result = run_cli(app, "prune-expired")
    assert result.exit_code == 0, result.output
    assert f"removed {removed} expired revocation(s)" in result.output
    assert set(revoked_rows(app)) == left


def assert_invalid(reply: object) -> None:
    assert reply.status_code == 401  # type: ignore[attr-defined]
    assert reply.is_json  # type: ignore[attr-defined]
    assert reply.get_json() == {"status": "error", "message": INVALID}  # type: ignore[attr-defined]


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture
def token(user: User, login: Callable[..., str]) -> str:
    return login(user.email)


@pytest.fixture
def second_instance(app: Flask, make_app: Callable[..., Flask]) -> Flask:
    """Another application on the same database, as a second task behind the load balancer."""
    return make_app(instance_id="second-instance")


def test_logout_answers_contract_reply(client: FlaskClient, token: str) -> None:
    """GET /auth/logout with a good token is the contract's success reply."""
    reply = client.get("/auth/logout", headers=bearer(token))
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "success", "message": "Successfully logged out."}


def test_logged_out_token_is_refused_on_status(client: FlaskClient, token: str) -> None:
    """After logout the token no longer authenticates (the reference's logout did nothing)."""
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid(client.get("/auth/status", headers=bearer(token)))


def test_second_logout_with_same_token_is_refused(
    client: FlaskClient, app: Flask, token: str
) -> None:
    """Logging out twice: the second is a 401 (no 500) and the token is recorded once."""
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid(client.get("/auth/logout", headers=bearer(token)))
    assert list(revoked_rows(app)) == [jti_of(token)]


def test_logged_out_token_cannot_create_users(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """A revoked admin token is refused by the admin-only route too."""
    admin = make_user(admin=True)
    token = login(admin.email)
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    body = {"username": "newbie", "email": "newbie@example.com", "password": "long enough pw"}
    assert_invalid(client.post("/users", json=body, headers=bearer(token)))


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
    assert_invalid(client.get("/auth/status", headers=bearer(first)))
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
    assert_invalid(other.get("/auth/status", headers=bearer(token)))
    assert_invalid(other.get("/auth/logout", headers=bearer(token)))


def test_logout_on_second_instance_is_seen_by_first(
    client: FlaskClient, second_instance: Flask, user: User, login: Callable[..., str]
) -> None:
    """Revocation is shared both ways; the user's other token works on both instances."""
    other = second_instance.test_client()
    revoked, kept = login(user.email), login(user.email)
    assert other.get("/auth/logout", headers=bearer(revoked)).status_code == 200
    assert_invalid(client.get("/auth/status", headers=bearer(revoked)))
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


def test_prune_expired_command_removes_expired_entries(app: Flask, fake_clock: FakeClock) -> None:
    """`users-service prune-expired` deletes expired entries and prints how many."""
    now = fake_clock.current
    add_revocation(app, "old-1", now - timedelta(days=2))
    add_revocation(app, "old-2", now - timedelta(seconds=1))
    add_revocation(app, "live", now + timedelta(minutes=5))
    assert_prune_expired(app, removed=2, left={"live"})


def test_prune_expired_command_with_nothing_to_do(app: Flask, fake_clock: FakeClock) -> None:
    """With no expired entries the command removes nothing and says so."""
    add_revocation(app, "live", fake_clock.current + timedelta(minutes=5))
    assert_prune_expired(app, removed=0, left={"live"})


def test_prune_expired_command_uses_the_service_clock(app: Flask, fake_clock: FakeClock) -> None:
    """An entry becomes prunable once the clock passes its expiry."""
    add_revocation(app, "live", fake_clock.current + timedelta(minutes=5))
    fake_clock.advance(minutes=6)
    assert_prune_expired(app, removed=1, left=set())


def test_pruned_entry_was_for_an_expired_token_only(
    client: FlaskClient, app: Flask, token: str
) -> None:
    """Pruning right after a logout keeps that logout's (still live) revocation."""
    client.get("/auth/logout", headers=bearer(token))
    result = run_cli(app, "prune-expired")
    assert "removed 0 expired revocation(s)" in result.output
    assert_invalid(client.get("/auth/status", headers=bearer(token)))


def test_prune_expired_command_runs_under_flask_test_runner(
    app: Flask, fake_clock: FakeClock
) -> None:
    """`app.test_cli_runner().invoke(args=["prune-expired"])` works (no outside app context)."""
    add_revocation(app, "old", fake_clock.current - timedelta(minutes=1))
    result = app.test_cli_runner().invoke(args=["prune-expired"])
    assert result.exit_code == 0, repr(result.exception)
    assert "removed 1 expired revocation(s)" in result.output
    assert revoked_rows(app) == {}
