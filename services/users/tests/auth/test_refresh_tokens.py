"""Refresh tokens: issued with every login, single use, rotated, and revoked by family."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from users_service.config import Settings
from users_service.models import RefreshToken, RevokedToken, User
from users_service.models.database import db

from services.users.tests.support.helpers import bearer, register_body
from services.users.tests.support.sessions import (
    assert_refused,
    login_pair,
    refresh,
    status_code,
)

EXPIRED = "Signature expired. Please log in again."


def test_login_returns_a_refresh_token_beside_the_contract_access_token(
    client: FlaskClient, user: User
) -> None:
    body = login_pair(client, user)
    assert set(body) == {
        "status",
        "message",
        "auth_token",
        "refresh_token",
        "expires_in",
        "token_type",
    }
    assert body["refresh_token"] != body["auth_token"]
    assert status_code(client, body["auth_token"]) == 200
    # The refresh token is not an access token.
    assert status_code(client, body["refresh_token"]) == 401


def test_register_returns_a_working_pair(client: FlaskClient) -> None:
    body = client.post("/auth/register", json=register_body()).get_json()
    assert status_code(client, body["auth_token"]) == 200
    renewed = refresh(client, body["refresh_token"])
    assert renewed.status_code == 200
    assert status_code(client, renewed.get_json()["auth_token"]) == 200


def test_refresh_rotates_the_pair(client: FlaskClient, user: User) -> None:
    first = login_pair(client, user)
    reply = refresh(client, first["refresh_token"])
    assert reply.status_code == 200
    second = reply.get_json()
    assert second["status"] == "success"
    assert second["message"] == "Successfully refreshed."
    assert second["refresh_token"] != first["refresh_token"]
    assert second["auth_token"] != first["auth_token"]
    assert status_code(client, second["auth_token"]) == 200
    assert refresh(client, second["refresh_token"]).status_code == 200


def test_a_replayed_refresh_token_revokes_its_whole_family(client: FlaskClient, user: User) -> None:
    """The second use of a token means it was copied: every token of that login dies."""
    first = login_pair(client, user)
    second = refresh(client, first["refresh_token"]).get_json()
    assert_refused(refresh(client, first["refresh_token"]))
    assert_refused(refresh(client, second["refresh_token"]))
    assert status_code(client, first["auth_token"]) == 401
    assert status_code(client, second["auth_token"]) == 401


def test_replay_leaves_other_sessions_of_the_user_alone(client: FlaskClient, user: User) -> None:
    stolen, other = login_pair(client, user), login_pair(client, user)
    refresh(client, stolen["refresh_token"])
    refresh(client, stolen["refresh_token"])
    assert status_code(client, other["auth_token"]) == 200
    assert refresh(client, other["refresh_token"]).status_code == 200


def test_logout_revokes_the_access_token_and_the_refresh_family(
    client: FlaskClient, user: User
) -> None:
    first = login_pair(client, user)
    second = refresh(client, first["refresh_token"]).get_json()
    assert client.get("/auth/logout", headers=bearer(first["auth_token"])).status_code == 200
    assert status_code(client, second["auth_token"]) == 401
    assert_refused(refresh(client, second["refresh_token"]))


def test_logout_keeps_other_sessions(client: FlaskClient, user: User) -> None:
    leaving, staying = login_pair(client, user), login_pair(client, user)
    client.get("/auth/logout", headers=bearer(leaving["auth_token"]))
    assert status_code(client, staying["auth_token"]) == 200
    assert refresh(client, staying["refresh_token"]).status_code == 200


def test_expired_refresh_token_gets_the_expired_literal(
    client: FlaskClient, user: User, fake_clock: Any, settings: Settings
) -> None:
    pair = login_pair(client, user)
    fake_clock.advance(seconds=settings.refresh_token_ttl_seconds + 1)
    assert_refused(refresh(client, pair["refresh_token"]), EXPIRED)


def test_refresh_lifetime_is_configurable(
    make_app: Callable[..., Flask], app: Flask, user: User, fake_clock: Any
) -> None:
    client = make_app(refresh_token_ttl_seconds=60).test_client()
    pair = login_pair(client, user)
    fake_clock.advance(seconds=59)
    renewed = refresh(client, pair["refresh_token"]).get_json()
    fake_clock.advance(seconds=61)
    assert_refused(refresh(client, renewed["refresh_token"]), EXPIRED)


def test_default_lifetimes_are_minutes_for_access_and_days_for_refresh(
    settings: Settings,
) -> None:
    assert 60 <= settings.access_token_ttl_seconds <= 60 * 60
    assert settings.refresh_token_ttl_seconds >= 86400


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh_token": 5}, {"refresh_token": ""}, {"refresh_token": None}, ["x"]],
    ids=["missing", "number", "empty", "null", "array"],
)
def test_malformed_refresh_requests_are_400(client: FlaskClient, body: Any) -> None:
    reply = client.post("/auth/refresh", json=body)
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Invalid payload."


@pytest.mark.parametrize("token", ["nonsense", "x" * 512, "é" * 100])
def test_unknown_refresh_tokens_are_401(client: FlaskClient, token: str) -> None:
    assert_refused(refresh(client, token))


def test_refresh_for_a_deactivated_user_is_refused(
    app: Flask, client: FlaskClient, user: User
) -> None:
    pair = login_pair(client, user)
    with app.app_context():
        db.session.get(User, user.id).active = False  # type: ignore[union-attr]
        db.session.commit()
    assert_refused(refresh(client, pair["refresh_token"]))


def test_only_a_digest_of_the_refresh_token_is_stored(
    app: Flask, client: FlaskClient, user: User
) -> None:
    token = login_pair(client, user)["refresh_token"]
    with app.app_context():
        stored = db.session.scalars(select(RefreshToken.token_hash)).all()
    assert len(stored) == 1
    assert token not in stored[0]


def test_rotation_and_replay_are_seen_by_every_instance(
    app: Flask, make_app: Callable[..., Flask], user: User
) -> None:
    first_instance, second_instance = app.test_client(), make_app().test_client()
    pair = login_pair(first_instance, user)
    renewed = refresh(second_instance, pair["refresh_token"]).get_json()
    assert_refused(refresh(first_instance, pair["refresh_token"]))
    assert_refused(refresh(second_instance, renewed["refresh_token"]))
    assert status_code(first_instance, renewed["auth_token"]) == 401


def test_concurrent_refreshes_with_one_token_have_one_winner(
    app: Flask, client: FlaskClient, user: User
) -> None:
    """Eight simultaneous uses of one token: one pair issued, the rest refused, no 500s."""
    token = login_pair(client, user)["refresh_token"]

    def attempt(_: int) -> int:
        return refresh(app.test_client(), token).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(8)))
    print(f"concurrent refresh status codes: {sorted(codes)}")
    assert codes.count(200) == 1
    assert sorted(set(codes)) == [200, 401]


def test_family_revocation_outlives_every_token_of_the_family(
    app: Flask, client: FlaskClient, user: User, settings: Settings, fake_clock: Any
) -> None:
    pair = login_pair(client, user)
    client.get("/auth/logout", headers=bearer(pair["auth_token"]))
    with app.app_context():
        expiries = db.session.scalars(
            select(RevokedToken.expires_at).where(RevokedToken.jti.like("family:%"))
        ).all()
    lifetime = timedelta(seconds=settings.refresh_token_ttl_seconds)
    assert expiries == [fake_clock.current + lifetime]
