"""Access tokens under attack: every forged, mangled or stale token is a JSON 401, never a 500.

Every test runs under both algorithms (RS256 and HS256): the tokens it makes by hand are
signed as the service signs them, with its key, algorithm and `kid`.
"""

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.auth.signing_key import current_token_keys
from users_service.auth.tokens import (
    AccessTokenVerifier,
    TokenError,
    TokenKeys,
    issue_access_token,
)
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.helpers import bearer, register_body
from services.users.tests.support.tokens import (
    ALGORITHMS,
    DROP,
    b64_json,
    claims_for,
    hand_built,
    keys_of,
    service_header,
    signed,
)

INVALID = "Invalid token. Please log in again."
EXPIRED = "Signature expired. Please log in again."
UNKNOWN_USER = "Something went wrong. Please contact us."
NO_TOKEN = "Provide a valid auth token."


@pytest.fixture(params=ALGORITHMS)
def token_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"jwt_algorithm": request.param}


def assert_refused(reply: TestResponse, message: str = INVALID, code: int = 401) -> None:
    assert reply.status_code == code, reply.get_data(as_text=True)
    assert reply.is_json
    assert reply.get_json() == {"status": "error", "message": message}


def status(client: FlaskClient, token: str) -> TestResponse:
    return client.get("/auth/status", headers=bearer(token))


# --- controls: the hand-made tokens below differ from a good one in one respect only ---


def test_genuine_token_is_accepted(client: FlaskClient, token: str, user: User) -> None:
    """A token from /auth/login authenticates its user."""
    reply = status(client, token)
    assert reply.status_code == 200
    assert reply.get_json()["data"]["id"] == user.id


def test_hand_encoded_token_with_all_claims_is_accepted(
    client: FlaskClient, user: User, keys: TokenKeys
) -> None:
    """jwt.encode with the real key and every claim is accepted (control for the attacks)."""
    reply = status(client, signed(keys, claims_for(user.id)))
    assert reply.status_code == 200


def test_hand_built_token_is_accepted(client: FlaskClient, user: User, keys: TokenKeys) -> None:
    """The hand-assembled token is accepted (control for the header attacks)."""
    token = hand_built(service_header(keys), claims_for(user.id), keys)
    assert status(client, token).status_code == 200


# --- malformed tokens ---


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",
        "not.a.token",
        "a.b",
        "....",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0",
        "Zm9v.YmFy.YmF6",
        "\u00e9t\u00e9",
        "x" * 5000,
    ],
)
def test_malformed_token_is_refused(client: FlaskClient, user: User, garbage: str) -> None:
    """Strings that are not a JWT are an invalid token."""
    assert_refused(status(client, garbage))


def test_two_segments_of_a_real_token_are_refused(client: FlaskClient, token: str) -> None:
    """A genuine token without its signature segment is refused."""
    header, payload, _signature = token.split(".")
    assert_refused(status(client, f"{header}.{payload}"))
    assert_refused(status(client, f"{header}.{payload}."))


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer    ", "bearer"])
@pytest.mark.reference_defect("answered a bare Bearer header with a 500")
def test_scheme_without_token_is_refused(client: FlaskClient, user: User, value: str) -> None:
    """`Bearer` with nothing after it is an invalid token (the reference answered 500)."""
    assert_refused(client.get("/auth/status", headers={"Authorization": value}))


@pytest.mark.parametrize(
    "payload",
    [[1, 2, 3], "a string", 42, None],
    ids=["array", "string", "number", "null"],
)
def test_payload_that_is_not_an_object_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, payload: object
) -> None:
    """A correctly signed token whose payload is not a JSON object is refused."""
    assert_refused(status(client, hand_built(service_header(keys), payload, keys)))


# --- tampering ---


def test_tampered_payload_is_refused(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """Changing `sub` to another user while keeping the signature is refused."""
    victim = make_user()
    attacker = make_user()
    header, payload, signature = login(attacker.email).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(victim.id)
    assert_refused(status(client, f"{header}.{b64_json(claims)}.{signature}"))


def test_tampered_signature_is_refused(client: FlaskClient, token: str) -> None:
    """Altering the signature's first character (real bits, not padding) is refused."""
    header, payload, signature = token.split(".")
    altered = ("B" if signature[0] != "B" else "C") + signature[1:]
    assert_refused(status(client, f"{header}.{payload}.{altered}"))


def test_signature_of_another_token_is_refused(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """A header and payload combined with another token's signature are refused."""
    first, second = make_user(), make_user()
    header, payload, _ = login(first.email).split(".")
    *_, other_signature = login(second.email).split(".")
    assert_refused(status(client, f"{header}.{payload}.{other_signature}"))


# --- algorithms ---


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
@pytest.mark.reference_defect("answered an alg none token with a 500")
def test_alg_none_is_refused(client: FlaskClient, user: User, alg: str) -> None:
    """An unsigned token (`alg: none`) is refused (the reference answered 500)."""
    unsigned = hand_built({"alg": alg, "typ": "JWT"}, claims_for(user.id), None)
    assert_refused(status(client, unsigned))


def test_alg_none_with_real_signature_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys
) -> None:
    """`alg: none` is refused even when the service's own signature is attached."""
    token = hand_built(service_header(keys, alg="none"), claims_for(user.id), keys)
    assert_refused(status(client, token))


@pytest.mark.parametrize("alg", ["RS256", "HS256", "RS512", "HS512", "ES256", "PS256", "EdDSA"])
def test_only_the_configured_alg_header_over_our_signature_is_accepted(
    client: FlaskClient, user: User, keys: TokenKeys, alg: str
) -> None:
    """Another `alg` over the service's own signature (algorithm confusion) is refused; the
    configured one is the control."""
    token = hand_built(service_header(keys, alg=alg), claims_for(user.id), keys)
    if alg == keys.algorithm:
        assert status(client, token).status_code == 200
        return
    assert_refused(status(client, token))


def test_missing_alg_header_is_refused(client: FlaskClient, user: User, keys: TokenKeys) -> None:
    """A header without `alg` is refused."""
    assert_refused(
        status(client, hand_built(service_header(keys, alg=DROP), claims_for(user.id), keys))
    )


# --- claims ---


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti"])
def test_each_required_claim_is_required(
    client: FlaskClient, user: User, keys: TokenKeys, claim: str
) -> None:
    """A token signed with the real key but missing a required claim is refused."""
    token = signed(keys, claims_for(user.id, **{claim: DROP}))
    assert_refused(status(client, token))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "jti", "typ"])
def test_null_claim_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, claim: str
) -> None:
    """A required claim present as JSON null is refused."""
    token = signed(keys, claims_for(user.id, **{claim: None}))
    assert_refused(status(client, token))


@pytest.mark.reference_defect("answered a token with a non-numeric sub with a 500")
def test_integer_sub_is_refused(client: FlaskClient, user: User, keys: TokenKeys) -> None:
    """`sub` must be a string (the reference's string/int confusion gave 500s)."""
    token = signed(keys, claims_for(user.id, sub=user.id))
    assert_refused(status(client, token))


@pytest.mark.parametrize(
    "sub",
    ["abc", "0", "-1", "1.0", " 1", "1 ", "01", "+1", "1e3", "\u0661", "", "1" * 30, "9" * 19],
)
def test_sub_that_is_not_a_positive_id_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, sub: str
) -> None:
    """Non-numeric, zero, signed, padded, non-ASCII or oversized subjects are refused."""
    token = signed(keys, claims_for(sub))
    assert_refused(status(client, token))


def test_sub_of_unknown_large_id_is_unknown_user(
    client: FlaskClient, user: User, keys: TokenKeys
) -> None:
    """The largest accepted id (18 digits, beyond a 32-bit column) answers 401, not 500."""
    token = signed(keys, claims_for("9" * 18))
    assert_refused(status(client, token), UNKNOWN_USER)


@pytest.mark.parametrize("sub", [["1"], {"id": "1"}, True, 1.0])
def test_sub_of_other_json_types_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, sub: object
) -> None:
    """Lists, objects, booleans and floats as `sub` are refused."""
    token = signed(keys, claims_for(user.id, sub=sub))
    assert_refused(status(client, token))


@pytest.mark.parametrize(
    "jti", ["j" * 65, "", 12345, ["a"]], ids=["65-chars", "empty", "int", "list"]
)
def test_bad_jti_is_refused(client: FlaskClient, user: User, keys: TokenKeys, jti: object) -> None:
    """`jti` must be a non-empty string of at most 64 characters."""
    token = signed(keys, claims_for(user.id, jti=jti))
    assert_refused(status(client, token))


def test_jti_of_64_chars_is_accepted(client: FlaskClient, user: User, keys: TokenKeys) -> None:
    """64 characters is the longest accepted `jti` (the revocation column's width)."""
    token = signed(keys, claims_for(user.id, jti="j" * 64))
    assert status(client, token).status_code == 200


@pytest.mark.parametrize("typ", [DROP, "refresh", "ACCESS", "", 1])
def test_typ_other_than_access_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, typ: object
) -> None:
    """Only `typ: access` tokens authenticate."""
    token = signed(keys, claims_for(user.id, typ=typ))
    assert_refused(status(client, token))


@pytest.mark.parametrize("exp", ["tomorrow", 1.5e10, [1], {"t": 1}])
def test_exp_of_wrong_type_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, exp: object
) -> None:
    """A non-integer `exp` (string, float, list, object) is refused."""
    token = signed(keys, claims_for(user.id, exp=exp))
    assert_refused(status(client, token))


@pytest.mark.parametrize("exp", [253402300800, 10**20], ids=["year-10000", "overflow"])
def test_exp_beyond_representable_dates_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, exp: int
) -> None:
    """An `exp` past year 9999 is refused as invalid rather than crashing."""
    token = signed(keys, claims_for(user.id, exp=exp))
    assert_refused(status(client, token))


@pytest.mark.parametrize("iat", ["yesterday", [1]])
def test_iat_of_wrong_type_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys, iat: object
) -> None:
    """A non-numeric `iat` is refused."""
    token = signed(keys, claims_for(user.id, iat=iat))
    assert_refused(status(client, token))


def test_iat_in_the_future_is_refused(
    client: FlaskClient, app: Flask, user: User, fake_clock: FakeClock
) -> None:
    """A token issued an hour from now (by a clock running ahead) is refused."""
    fake_clock.advance(hours=1)
    with app.app_context():
        token = issue_access_token(user.id, current_token_keys(), 3600)
    fake_clock.current = datetime.now(UTC)
    assert_refused(status(client, token))


# --- expiry ---


def test_expired_token_is_refused_with_expiry_message(
    client: FlaskClient, app: Flask, user: User, fake_clock: FakeClock
) -> None:
    """A token issued a day ago has expired: the contract's expiry message."""
    fake_clock.advance(days=-1)
    with app.app_context():
        token = issue_access_token(user.id, current_token_keys(), 900)
    fake_clock.current = datetime.now(UTC)
    assert_refused(status(client, token), EXPIRED)


def test_token_expires_after_configured_lifetime(
    client: FlaskClient, app: Flask, settings: Settings, user: User, fake_clock: FakeClock
) -> None:
    """A token is good shortly before its lifetime ends and refused just after."""
    ttl = settings.access_token_ttl_seconds
    keys = keys_of(app)
    fake_clock.current = datetime.now(UTC) - timedelta(seconds=ttl - 60)
    still_valid = issue_access_token(user.id, keys, ttl)
    fake_clock.current = datetime.now(UTC) - timedelta(seconds=ttl + 5)
    just_expired = issue_access_token(user.id, keys, ttl)
    fake_clock.current = datetime.now(UTC)
    assert status(client, still_valid).status_code == 200
    assert_refused(status(client, just_expired), EXPIRED)


def test_a_token_already_verified_still_expires(
    client: FlaskClient, app: Flask, settings: Settings, user: User, fake_clock: FakeClock
) -> None:
    """The worker remembers a token it has verified, but not past its expiry: the same
    token, accepted a moment ago, gets the expiry message once its lifetime is over."""
    ttl = settings.access_token_ttl_seconds
    token = issue_access_token(user.id, keys_of(app), ttl)
    assert status(client, token).status_code == 200
    assert status(client, token).status_code == 200  # the second time, from memory
    fake_clock.advance(seconds=ttl)
    assert_refused(status(client, token), EXPIRED)


def test_a_token_already_verified_is_still_refused_once_revoked(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Remembering a token's signature is not remembering that it is good: revocation is
    read from the database on every request."""
    token = login(user.email)
    assert status(client, token).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_refused(status(client, token))


def test_verified_tokens_are_remembered_up_to_a_bound(app: Flask, user: User) -> None:
    """Only tokens that passed every check are kept, and no more than the bound."""
    with app.app_context():
        verifier = AccessTokenVerifier(current_token_keys(), kept=2)
        tokens = [issue_access_token(user.id, verifier.keys, 900) for _ in range(3)]
        for token in tokens:
            assert verifier.claims(token).user_id == user.id
        with pytest.raises(TokenError):
            verifier.claims(tokens[0][:-4] + "AAAA")
    assert verifier.remembered == 2


def test_expired_token_with_bad_signature_is_invalid_not_expired(
    client: FlaskClient, user: User, stranger_keys: TokenKeys
) -> None:
    """An expired token signed with another key is invalid: the signature is checked first."""
    old = int(time.time()) - 86400
    forged = signed(stranger_keys, claims_for(user.id, iat=old, exp=old + 900))
    assert_refused(status(client, forged), INVALID)


def test_lifetime_is_configurable(app: Flask, make_app: Callable[..., Flask]) -> None:
    """ACCESS_TOKEN_TTL_SECONDS sets exp - iat of issued tokens."""
    short = make_app(access_token_ttl_seconds=60)
    reply = short.test_client().post("/auth/register", json=register_body("ttl"))
    assert reply.status_code == 201
    claims = jwt.decode(reply.get_json()["auth_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.reference_defect("issued access tokens that lived 30 days")
def test_default_lifetime_is_short(client: FlaskClient, token: str) -> None:
    """The default lifetime is at most an hour (the reference's was 30 days)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    assert 0 < claims["exp"] - claims["iat"] <= 3600


def test_issued_token_carries_contract_claims(token: str, user: User, keys: TokenKeys) -> None:
    """Issued tokens use the configured algorithm (RS256 naming its key) with string sub,
    jti, typ=access, iss, iat and exp."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == keys.algorithm
    assert header.get("kid") == keys.signing_kid
    key = keys.verifying_key(header)
    claims = jwt.decode(token, key, algorithms=[keys.algorithm], issuer="users-service")
    assert claims["sub"] == str(user.id)
    assert claims["typ"] == "access"
    assert 0 < len(claims["jti"]) <= 64


def test_each_login_gets_a_distinct_jti(user: User, login: Callable[..., str]) -> None:
    """Two logins give two tokens with different ids (so they can be revoked separately)."""
    first, second = login(user.email), login(user.email)
    decoded = [jwt.decode(t, options={"verify_signature": False}) for t in (first, second)]
    assert decoded[0]["jti"] != decoded[1]["jti"]


# --- the account behind the token ---


def test_token_of_deleted_user_is_refused(
    client: FlaskClient, app: Flask, user: User, token: str
) -> None:
    """A valid token whose user was deleted answers the contract's unknown-user reply."""
    with app.app_context():
        db.session.delete(db.session.get(User, user.id))
        db.session.commit()
    assert_refused(status(client, token), UNKNOWN_USER)


def test_token_of_inactive_user_is_refused(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """A valid token for an inactive account answers the unknown-user reply."""
    inactive = make_user(active=False)
    with app.app_context():
        token = issue_access_token(inactive.id, current_token_keys(), 900)
    assert_refused(status(client, token), UNKNOWN_USER)


def test_token_stops_working_when_user_is_deactivated(
    client: FlaskClient, app: Flask, user: User, token: str
) -> None:
    """Deactivating an account disables the tokens it already holds."""
    assert status(client, token).status_code == 200
    with app.app_context():
        db.session.get(User, user.id).active = False  # type: ignore[union-attr]
        db.session.commit()
    assert_refused(status(client, token), UNKNOWN_USER)


def test_token_for_never_existing_user_is_refused(
    client: FlaskClient, user: User, keys: TokenKeys
) -> None:
    """A correctly signed token for an id that never existed is the unknown-user reply."""
    token = signed(keys, claims_for(user.id + 1000))
    assert_refused(status(client, token), UNKNOWN_USER)


# --- the Authorization header ---


def test_lower_case_scheme_is_accepted(client: FlaskClient, token: str) -> None:
    """`bearer <token>` works: the scheme is case-insensitive (RFC 7235)."""
    reply = client.get("/auth/status", headers={"Authorization": f"bearer {token}"})
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "template", ["Bearer   {t}", "  Bearer {t}  ", "BEARER {t}", "Bearer {t}   "]
)
def test_extra_spaces_are_accepted(client: FlaskClient, token: str, template: str) -> None:
    """Extra spaces around and between scheme and token are tolerated."""
    reply = client.get("/auth/status", headers={"Authorization": template.format(t=token)})
    assert reply.status_code == 200


@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT", "Bearer:", "Bearerx"])
def test_other_schemes_are_refused(client: FlaskClient, token: str, scheme: str) -> None:
    """A genuine token under another scheme word is refused with 401."""
    reply = client.get("/auth/status", headers={"Authorization": f"{scheme} {token}"})
    assert_refused(reply)


def test_token_without_scheme_is_refused(client: FlaskClient, token: str) -> None:
    """A bare token without `Bearer` is refused with 401."""
    assert_refused(client.get("/auth/status", headers={"Authorization": token}))


@pytest.mark.parametrize("value", ["", " ", "   ", "\t"])
def test_empty_header_is_no_token(client: FlaskClient, user: User, value: str) -> None:
    """An empty or whitespace-only Authorization header is the contract's 403."""
    reply = client.get("/auth/status", headers={"Authorization": value})
    assert_refused(reply, NO_TOKEN, 403)


def test_missing_header_is_no_token(client: FlaskClient, user: User) -> None:
    """No Authorization header at all is the contract's 403."""
    assert_refused(client.get("/auth/status"), NO_TOKEN, 403)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/auth/status"), ("GET", "/auth/logout"), ("POST", "/users")],
)
@pytest.mark.parametrize("attack", ["garbage", "alg-none", "512", "expired"])
def test_every_protected_route_refuses_bad_tokens(
    client: FlaskClient, user: User, keys: TokenKeys, method: str, path: str, attack: str
) -> None:
    """Each protected route gives the same JSON 401 to each kind of bad token."""
    old = int(time.time()) - 86400
    tokens = {
        "garbage": "garbage",
        "alg-none": hand_built({"alg": "none"}, claims_for(user.id), None),
        "512": signed(keys, claims_for(user.id), keys.algorithm.replace("256", "512")),
        "expired": signed(keys, claims_for(user.id, iat=old, exp=old + 900)),
    }
    reply = client.open(path, method=method, headers=bearer(tokens[attack]), json={})
    assert_refused(reply, EXPIRED if attack == "expired" else INVALID)


@pytest.mark.reference_defect("issued access tokens that lived 30 days")
def test_token_lifetime_is_short(
    client: FlaskClient, user: User, login: Callable[..., str], settings: Settings
) -> None:
    """Defect: a 30-day token lifetime. A token lives ACCESS_TOKEN_TTL_SECONDS (<= 1 h)."""
    claims = jwt.decode(login(user.email), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    default = Settings.model_fields["access_token_ttl_seconds"].default
    assert isinstance(default, int)
    assert 0 < default <= 3600


@pytest.mark.reference_defect("issued access tokens that lived 30 days")
def test_default_token_lifetime_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: a 30-day lifetime. With nothing configured, Settings gives at most an hour."""
    monkeypatch.delenv("ACCESS_TOKEN_TTL_SECONDS", raising=False)
    settings = Settings(_env_file=None, app_env="testing")  # type: ignore[call-arg]
    assert 0 < settings.access_token_ttl_seconds <= 3600
