"""/.well-known/jwks.json and /.well-known/openid-configuration: the published keys, cacheable,
and where to find them."""

from collections.abc import Callable

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm

from users_service.auth import rsa_keys
from users_service.config import Settings

from services.users.tests.support.tokens import keys_of

CACHEABLE = "public, max-age=300"


def test_jwks_publishes_the_rs256_key(client: FlaskClient, app: Flask, token: str) -> None:
    """One key, with exactly the members verifiers need; it verifies the service's tokens."""
    reply = client.get("/.well-known/jwks.json")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == CACHEABLE
    [jwk] = reply.get_json()["keys"]
    assert set(jwk) == {"kty", "kid", "alg", "use", "n", "e"}
    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert jwk["kid"] == keys_of(app).signing_kid == jwt.get_unverified_header(token)["kid"]
    public = RSAAlgorithm.from_jwk(jwk)
    claims = jwt.decode(token, public, algorithms=["RS256"], issuer="users-service")  # type: ignore[arg-type]
    assert claims["typ"] == "access"


def test_jwks_lists_every_configured_key_in_order(
    make_app: Callable[..., Flask], app: Flask, settings: Settings
) -> None:
    assert settings.jwt_private_keys is not None
    current = settings.jwt_private_keys.get_secret_value()
    upcoming = rsa_keys.generate_pem()
    rotated = make_app(jwt_private_keys=upcoming + current)
    kids = [jwk["kid"] for jwk in rotated.test_client().get("/.well-known/jwks.json").json["keys"]]
    assert kids == [rsa_keys.parse_keys(upcoming)[0].kid, keys_of(app).signing_kid]


def test_jwks_is_empty_under_hs256(make_app: Callable[..., Flask], app: Flask) -> None:
    """The shared secret is never published: an empty set, still cacheable."""
    reply = make_app(jwt_algorithm="HS256").test_client().get("/.well-known/jwks.json")
    assert reply.status_code == 200
    assert reply.get_json() == {"keys": []}
    assert reply.headers["Cache-Control"] == CACHEABLE


@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
def test_discovery_names_the_issuer_and_the_key_set(
    make_app: Callable[..., Flask], app: Flask, algorithm: str
) -> None:
    service = make_app(jwt_algorithm=algorithm, jwt_issuer="https://users.example.com")
    reply = service.test_client().get(
        "/.well-known/openid-configuration", headers={"Host": "users.example.com"}
    )
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == CACHEABLE
    assert reply.get_json() == {
        "issuer": "https://users.example.com",
        "jwks_uri": "http://users.example.com/.well-known/jwks.json",
    }


@pytest.mark.parametrize(("count", "scheme"), [(1, "https"), (0, "http")])
def test_discovery_believes_the_scheme_only_from_a_trusted_proxy(
    make_app: Callable[..., Flask], app: Flask, count: int, scheme: str
) -> None:
    """Behind the ALB (TRUSTED_PROXY_COUNT=1) the key set's URL is https, as the client sees it;
    with no trusted proxy, X-Forwarded-Proto is ignored."""
    service = make_app(trusted_proxy_count=count)
    reply = service.test_client().get(
        "/.well-known/openid-configuration",
        headers={"Host": "api.example.com", "X-Forwarded-Proto": "https"},
    )
    assert reply.get_json()["jwks_uri"] == f"{scheme}://api.example.com/.well-known/jwks.json"


@pytest.mark.parametrize("path", ["/.well-known/jwks.json", "/.well-known/openid-configuration"])
def test_well_known_routes_refuse_other_methods_as_json(client: FlaskClient, path: str) -> None:
    reply = client.post(path, json={})
    assert reply.status_code == 405
    assert reply.get_json()["status"] == "error"
