"""The keys that sign tokens: RS256 keys read and named, rotation, the one algorithm, issuer
and audience that decoding accepts, and the development key file."""

import hashlib
import hmac
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from jwt.algorithms import RSAAlgorithm

from users_service.auth import rsa_keys
from users_service.auth.signing_key import RSA_KEY_FILE_NAME, resolve_token_keys
from users_service.auth.tokens import TokenKeys
from users_service.config import ConfigError, Settings
from users_service.models import User

from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.tokens import (
    DROP,
    b64,
    b64_json,
    claims_for,
    hand_built,
    keys_of,
    service_header,
    signed,
)

INVALID = {"status": "error", "message": "Invalid token. Please log in again."}
# RFC 7638, section 3.1: an RSA key and its thumbprint.
RFC_7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
)
RFC_7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    encoded = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return encoded.decode()


@pytest.fixture(scope="module")
def new_pem() -> str:
    return rsa_keys.generate_pem()


def status(app: Flask, token: str) -> tuple[int, Any]:
    reply = app.test_client().get("/auth/status", headers=bearer(token))
    return reply.status_code, reply.get_json()


# --- keys read and named ---


def test_kid_is_the_rfc_7638_thumbprint() -> None:
    """The RFC's own example key gives the RFC's thumbprint."""
    public = RSAAlgorithm.from_jwk({"kty": "RSA", "n": RFC_7638_N, "e": "AQAB"})
    assert isinstance(public, rsa.RSAPublicKey)
    assert rsa_keys.thumbprint(public) == RFC_7638_THUMBPRINT


def test_generated_key_is_rsa_3072_in_pkcs8_pem(new_pem: str) -> None:
    [key] = rsa_keys.parse_keys(new_pem)
    assert new_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert key.private.key_size == rsa_keys.GENERATED_BITS
    assert key.kid == rsa_keys.thumbprint(key.public)


def test_keys_are_read_in_their_order(new_pem: str, settings: Settings) -> None:
    """Several keys, one after the other (any text between them): the order is kept."""
    assert settings.jwt_private_keys is not None
    first = settings.jwt_private_keys.get_secret_value()
    keys = rsa_keys.parse_keys(f"{first}\n\n{new_pem}")
    assert [key.kid for key in keys] == [
        rsa_keys.parse_keys(first)[0].kid,
        rsa_keys.parse_keys(new_pem)[0].kid,
    ]


def _corrupted(key: rsa.RSAPrivateKey) -> rsa.RSAPrivateKey:
    """The key with its private exponents damaged, as a flipped bit in storage would: its
    signatures no longer verify."""
    numbers = key.private_numbers()
    damaged = rsa.RSAPrivateNumbers(
        p=numbers.p,
        q=numbers.q,
        d=numbers.d + 2,
        dmp1=numbers.dmp1 + 2,
        dmq1=numbers.dmq1,
        iqmp=numbers.iqmp,
        public_numbers=numbers.public_numbers,
    )
    return damaged.private_key(unsafe_skip_rsa_key_validation=True)


def _unusable_keys(new_pem: str) -> dict[str, str]:
    encrypted = rsa_keys.parse_keys(new_pem)[0].private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused)
    return {
        "inconsistent": pem(_corrupted(rsa_keys.parse_keys(new_pem)[0].private)),
        "none": "",
        "not pem": "not a key at all",
        "eleven": new_pem * 11,
        "twice": new_pem + new_pem,
        "mangled": new_pem.replace("A", "B", 5),
        "encrypted": encrypted.decode(),
        "ec": pem(ec.generate_private_key(ec.SECP256R1())),
        "rsa 1024": pem(small),
    }


@pytest.mark.parametrize(
    "case",
    [
        "none",
        "not pem",
        "eleven",
        "twice",
        "mangled",
        "encrypted",
        "ec",
        "rsa 1024",
        "inconsistent",
    ],
)
def test_unusable_keys_are_a_config_error_without_key_material(new_pem: str, case: str) -> None:
    text = _unusable_keys(new_pem)[case]
    with pytest.raises(rsa_keys.KeyConfigError) as caught:
        rsa_keys.parse_keys(text)
    message = str(caught.value)
    assert message.startswith("JWT_PRIVATE_KEYS")
    assert caught.value.__cause__ is None
    assert "MII" not in message


def test_unusable_keys_stop_the_app(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="JWT_PRIVATE_KEYS"):
        resolve_token_keys(make_settings(jwt_private_keys="not a key"))


# --- rotation ---


def test_the_first_key_signs_and_every_key_verifies(
    make_app: Callable[..., Flask], app: Flask, user: User, settings: Settings, new_pem: str
) -> None:
    """Rotation: with the new key first, the new key signs and a token of the old key (still
    listed) stays accepted; with the new key last (published ahead of use), the old signs."""
    assert settings.jwt_private_keys is not None
    old_pem = settings.jwt_private_keys.get_secret_value()
    old_token = signed(keys_of(app), claims_for(user.id))
    rotated = make_app(jwt_private_keys=new_pem + old_pem)
    ahead = make_app(jwt_private_keys=old_pem + new_pem)
    new_kid = rsa_keys.parse_keys(new_pem)[0].kid
    assert keys_of(rotated).signing_kid == new_kid
    assert keys_of(ahead).signing_kid == keys_of(app).signing_kid
    assert status(rotated, old_token)[0] == 200
    new_token = signed(keys_of(rotated), claims_for(user.id))
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert status(ahead, new_token)[0] == 200
    assert status(app, new_token) == (401, INVALID)  # the new key is not listed there


def test_a_removed_key_is_refused(
    make_app: Callable[..., Flask], app: Flask, user: User, new_pem: str
) -> None:
    old_token = signed(keys_of(app), claims_for(user.id))
    assert status(make_app(jwt_private_keys=new_pem), old_token) == (401, INVALID)


# --- what decoding accepts ---


@pytest.mark.parametrize("kid", ["unknown", "", 7, ["x"], None], ids=repr)
def test_unknown_or_missing_kid_is_refused(app: Flask, user: User, kid: object) -> None:
    """Signed with our key, but naming a key we do not publish (or none): refused."""
    keys = keys_of(app)
    header = service_header(keys, kid=DROP if kid is None else kid)
    assert status(app, hand_built(header, claims_for(user.id), keys)) == (401, INVALID)


def test_hs256_token_is_refused_under_rs256(app: Flask, user: User, settings: Settings) -> None:
    """Signed with SECRET_KEY (still configured), even naming our kid: refused."""
    assert settings.secret_key is not None
    secret = settings.secret_key.get_secret_value()
    kid = {"kid": keys_of(app).signing_kid}
    for headers in (None, kid):
        token = jwt.encode(claims_for(user.id), secret, algorithm="HS256", headers=headers)
        assert status(app, token) == (401, INVALID)


def test_hs256_signed_with_the_public_key_is_refused(app: Flask, user: User) -> None:
    """The classic key confusion: an HMAC made with the published public key as the secret."""
    keys = keys_of(app)
    public_pem = keys.signing.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = service_header(keys, alg="HS256")
    signing_input = f"{b64_json(header)}.{b64_json(claims_for(user.id))}"
    digest = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert status(app, f"{signing_input}.{b64(digest)}") == (401, INVALID)


def test_rs256_token_is_refused_under_hs256(
    make_app: Callable[..., Flask], app: Flask, user: User
) -> None:
    hs256 = make_app(jwt_algorithm="HS256")
    assert status(hs256, signed(keys_of(app), claims_for(user.id)))[0] == 401
    assert status(app, signed(keys_of(hs256), claims_for(user.id))) == (401, INVALID)


@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
@pytest.mark.parametrize("issuer", ["another-service", "users-service ", "", None, 1], ids=repr)
def test_wrong_or_missing_issuer_is_refused(
    make_app: Callable[..., Flask], app: Flask, user: User, algorithm: str, issuer: object
) -> None:
    """Built by hand: PyJWT will not encode a non-string `iss`."""
    service = make_app(jwt_algorithm=algorithm)
    keys = keys_of(service)
    claims = claims_for(user.id, iss=DROP if issuer is None else issuer)
    assert status(service, hand_built(service_header(keys), claims, keys)) == (401, INVALID)


def test_configured_issuer_is_issued_and_required(
    make_app: Callable[..., Flask], app: Flask, user: User
) -> None:
    service = make_app(jwt_issuer="https://users.example.com")
    keys = keys_of(service)
    assert keys.issuer == "https://users.example.com"
    good = signed(keys, claims_for(user.id, iss="https://users.example.com"))
    assert status(service, good)[0] == 200
    assert status(service, signed(keys, claims_for(user.id))) == (401, INVALID)


@pytest.mark.parametrize("algorithm", ["RS256", "HS256"])
def test_audience_when_configured_is_issued_and_required(
    make_app: Callable[..., Flask], app: Flask, user: User, algorithm: str
) -> None:
    service = make_app(jwt_algorithm=algorithm, jwt_audience="orders")
    keys = keys_of(service)
    assert status(service, signed(keys, claims_for(user.id, aud="orders")))[0] == 200
    assert status(service, signed(keys, claims_for(user.id, aud=["orders", "x"])))[0] == 200
    for wrong in ("billing", ["billing"], ""):
        assert status(service, signed(keys, claims_for(user.id, aud=wrong))) == (401, INVALID)
    assert status(service, signed(keys, claims_for(user.id))) == (401, INVALID)
    login = service.test_client().post(
        "/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert login.status_code == 200
    issued = jwt.decode(login.get_json()["auth_token"], options={"verify_signature": False})
    assert issued["aud"] == "orders"


def test_without_audience_a_token_naming_one_is_refused(app: Flask, user: User) -> None:
    token = signed(keys_of(app), claims_for(user.id, aud="orders"))
    assert status(app, token) == (401, INVALID)


# --- the development key file ---


def _development(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, app_env="development", data_dir=tmp_path)  # type: ignore[call-arg]


def test_development_generates_one_private_key_file(tmp_path: Path) -> None:
    """Without JWT_PRIVATE_KEYS, development generates a key into DATA_DIR, 0600, once."""
    first = resolve_token_keys(_development(tmp_path))
    path = tmp_path / RSA_KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rsa_keys.parse_keys(path.read_text())[0].kid == first.signing_kid
    assert resolve_token_keys(_development(tmp_path)).signing_kid == first.signing_kid
    assert [p.name for p in tmp_path.iterdir()] == [RSA_KEY_FILE_NAME]


def test_concurrent_workers_agree_on_one_generated_key(tmp_path: Path) -> None:
    settings = _development(tmp_path)
    barrier = threading.Barrier(4, timeout=30)

    def worker(_: int) -> str | None:
        barrier.wait()
        return resolve_token_keys(settings).signing_kid

    with ThreadPoolExecutor(max_workers=4) as pool:
        kids = set(pool.map(worker, range(4)))
    assert len(kids) == 1
    assert [p.name for p in tmp_path.iterdir()] == [RSA_KEY_FILE_NAME]


def test_configured_keys_win_over_the_file(tmp_path: Path, new_pem: str) -> None:
    generated = resolve_token_keys(_development(tmp_path))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, app_env="development", data_dir=tmp_path, jwt_private_keys=new_pem
    )
    configured = resolve_token_keys(settings)
    assert configured.signing_kid == rsa_keys.parse_keys(new_pem)[0].kid
    assert configured.signing_kid != generated.signing_kid


def test_keys_of_hs256_have_no_kid_and_publish_nothing(
    make_app: Callable[..., Flask], app: Flask, settings: Settings
) -> None:
    keys: TokenKeys = keys_of(make_app(jwt_algorithm="HS256"))
    assert (keys.algorithm, keys.signing_kid, list(keys.verifying)) == ("HS256", None, [None])
    assert keys.published() == {}
    assert settings.secret_key is not None
    assert settings.secret_key.get_secret_value() not in repr(keys)  # a repr can reach a log
