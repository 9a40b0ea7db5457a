"""The guard of every protected route: the Authorization header, and what a token must be for
the route to run (the contract's 401 and 403 literals).
"""

from collections.abc import Callable

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from users_service.auth.tokens import TokenKeys
from users_service.config import Settings
from users_service.models import User

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.contract import (
    assert_invalid_token,
    assert_reply,
    register,
    token_of,
)
from services.users.tests.support.helpers import bearer, deactivate_user, delete_user, register_body
from services.users.tests.support.tokens import DROP, EACH_ALGORITHM, claims_for, signed

PROTECTED = [
    ("GET", "/auth/logout"),
    ("GET", "/auth/status"),
    ("GET", "/auth/sessions"),
    ("DELETE", "/auth/sessions"),
    ("DELETE", f"/auth/sessions/{'0' * 32}"),
    ("POST", "/auth/password"),
    ("GET", "/users/me"),
    ("PATCH", "/users/me"),
    ("DELETE", "/users/me"),
    ("POST", "/users"),
    ("PATCH", "/users/1"),
    ("DELETE", "/users/1"),
]


pytestmark = EACH_ALGORITHM


INVALID_TOKEN = "Invalid token. Please log in again."


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
    client: FlaskClient, make_user: Callable[..., User], stranger_keys: TokenKeys
) -> None:
    """invalid token (well-formed, but signed with a different key) | 401 | error | Invalid ..."""
    user = make_user()
    token = signed(stranger_keys, claims_for(user.id))
    reply = client.get("/auth/status", headers=bearer(token))
    assert_reply(reply, 401, "error", "Invalid token. Please log in again.")


@pytest.mark.parametrize("change", [delete_user, deactivate_user], ids=["missing", "inactive"])
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


def test_token_travels_as_a_string_in_a_bearer_header(client: FlaskClient) -> None:
    """Header: `Authorization: Bearer <token>`; the token is a string in `auth_token`."""
    token = token_of(register(client))
    assert token.count(".") == 2
    reply = client.get("/auth/status", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(username="alice", email="alice@example.com")


def test_token_with_the_service_claims_and_algorithm_is_accepted(
    client: FlaskClient, user: User, keys: TokenKeys
) -> None:
    """Control for the forged-token tests below: the same claims, correctly signed, work."""
    token = signed(keys, claims_for(user.id))
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200


@pytest.mark.reference_defect("decoded tokens without pinning the algorithm")
@pytest.mark.parametrize("size", ["512", "384"])
def test_algorithm_is_pinned(client: FlaskClient, user: User, keys: TokenKeys, size: str) -> None:
    """Defect: `algorithms` not pinned on decode. Right key, same family, other hash: 401."""
    algorithm = keys.algorithm.replace("256", size)
    token = signed(keys, claims_for(user.id), algorithm)
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


@pytest.mark.reference_defect("accepted tokens without exp")
def test_token_without_exp_is_refused(client: FlaskClient, user: User, keys: TokenKeys) -> None:
    """Defect: tokens without `exp` were accepted."""
    token = signed(keys, claims_for(user.id, exp=DROP))
    assert "exp" not in jwt.decode(token, options={"verify_signature": False})
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


@pytest.mark.reference_defect("answered a token with a non-numeric sub with a 500")
@pytest.mark.parametrize(
    "subject",
    ["alice", "", "1.0", "-1", "01", " 1", "1e3", "99999999999999999999999", 1, None],
    ids=repr,
)
def test_token_with_non_numeric_sub_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, subject: object
) -> None:
    """Defect: a string (non-numeric) `sub` gave a 500. Also a number or a missing `sub`."""
    claims = claims_for(user.id)
    claims.pop("sub")
    if subject is not None:
        claims["sub"] = subject
    token = signed(keys, claims)
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


@pytest.mark.reference_defect("never checked the scheme word of the Authorization header")
@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT", "Bearer:"])
def test_scheme_word_is_checked(
    client: FlaskClient, user: User, login: Callable[..., str], scheme: str
) -> None:
    """Defect: the scheme word was never checked. A valid token under another scheme: 401."""
    token = login(user.email)
    reply = client.get("/auth/status", headers={"Authorization": f"{scheme} {token}"})
    assert_invalid_token(reply)
