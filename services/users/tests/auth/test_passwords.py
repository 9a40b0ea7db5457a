"""Password storage: argon2id at OWASP strength, rehash on login, the reference's bcrypt hashes."""

from collections.abc import Callable
from typing import Any

import argon2
import pytest
from argon2.exceptions import VerifyMismatchError
from flask import Flask
from flask.testing import FlaskClient
from pydantic import ValidationError
from sqlalchemy import select

from users_service.auth.passwords import PasswordHasher, unmatchable_argon2_hash
from users_service.config import Settings
from users_service.models import User
from users_service.models.database import db

from services.users.tests.support.helpers import FAST_HASHING, PASSWORD, bearer, register_body
from services.users.tests.support.passwords import legacy_bcrypt, store_hash

OWASP_PRODUCTION_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"
NOT_FOUND = {"status": "error", "message": "User does not exist."}


def stored_hash(app: Flask, email: str) -> str:
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.email == email))
    assert value is not None
    return value


def log_in(client: FlaskClient, email: str, password: str) -> Any:
    return client.post("/auth/login", json={"email": email, "password": password})


# --- argon2id strength ---


@pytest.mark.usefixtures("app")  # its teardown deletes the account registered here
def test_production_parameters_store_owasp_argon2id(make_app: Callable[..., Flask]) -> None:
    """With the production defaults a new account's hash is argon2id m=19456,t=2,p=1."""
    strong = make_app(argon2_time_cost=2, argon2_memory_kib=19456, argon2_parallelism=1)
    reply = strong.test_client().post("/auth/register", json=register_body("strong"))
    assert reply.status_code == 201
    assert stored_hash(strong, "userstrong@example.com").startswith(OWASP_PRODUCTION_PREFIX)


def test_default_settings_are_owasp_strength() -> None:
    """The declared defaults are OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane)."""
    fields = Settings.model_fields
    assert fields["argon2_memory_kib"].default >= 19456
    assert fields["argon2_time_cost"].default >= 2
    assert fields["argon2_parallelism"].default == 1


def build_settings(**values: Any) -> Settings:
    """Settings from these values only (no .env file)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize("app_env", ["development", "production"])
def test_weak_hashing_is_refused_outside_testing(app_env: str) -> None:
    """Test-only hashing parameters are a configuration error outside APP_ENV=testing."""
    with pytest.raises(ValidationError, match="OWASP"):
        build_settings(
            app_env=app_env,
            secret_key="s" * 64,
            database_url="postgresql://u:p@db/users",
            argon2_memory_kib=8,
            argon2_time_cost=1,
        )


def test_memory_time_product_below_owasp_is_refused() -> None:
    """Enough memory but too few passes (product below 35840 KiB) is refused."""
    with pytest.raises(ValueError, match="OWASP"):
        build_settings(app_env="development", argon2_memory_kib=7168, argon2_time_cost=1)


def test_owasp_minimum_is_accepted_in_development() -> None:
    """OWASP's own parameters are accepted outside testing."""
    settings = build_settings(
        app_env="development", argon2_memory_kib=19456, argon2_time_cost=2, argon2_parallelism=1
    )
    assert settings.argon2_memory_kib == 19456


def test_new_hash_is_argon2id(client: FlaskClient, app: Flask) -> None:
    """Registration stores argon2id (not argon2i/argon2d, not bcrypt, not plain text)."""
    client.post("/auth/register", json=register_body(1))
    value = stored_hash(app, "user1@example.com")
    assert value.startswith("$argon2id$v=19$")
    assert PASSWORD not in value


def test_same_password_gets_different_salts(app: Flask, make_user: Callable[..., User]) -> None:
    """Two accounts with the same password have different hashes."""
    first, second = make_user(), make_user()
    assert stored_hash(app, first.email) != stored_hash(app, second.email)


@pytest.mark.parametrize(("time_cost", "memory_kib", "parallelism"), [(2, 19456, 1), (3, 64, 2)])
def test_the_dummy_for_unknown_accounts_costs_a_full_check(
    time_cost: int, memory_kib: int, parallelism: int
) -> None:
    """It has the parameters of a real hash, and a check against it runs to a mismatch:
    a malformed dummy would be refused at once, and so tell unknown accounts apart."""
    hasher = argon2.PasswordHasher(time_cost, memory_kib, parallelism)
    dummy, real = unmatchable_argon2_hash(hasher), hasher.hash(PASSWORD)
    assert argon2.extract_parameters(dummy) == argon2.extract_parameters(real)
    assert unmatchable_argon2_hash(hasher) != dummy
    with pytest.raises(VerifyMismatchError):
        hasher.verify(dummy, PASSWORD)


# --- rehash on login ---


@pytest.mark.parametrize(
    ("overrides", "marker"),
    [({"argon2_time_cost": 2}, "t=2,"), ({"argon2_memory_kib": 16}, "m=16,")],
    ids=["time-cost", "memory"],
)
def test_login_rehashes_when_parameters_change(
    client: FlaskClient,
    app: Flask,
    make_app: Callable[..., Flask],
    overrides: dict[str, int],
    marker: str,
) -> None:
    """A login on an instance with new argon2 parameters upgrades the stored hash."""
    assert client.post("/auth/register", json=register_body(1)).status_code == 201
    email = "user1@example.com"
    before = stored_hash(app, email)
    assert marker not in before
    upgraded = make_app(**{**FAST_HASHING, **overrides})
    assert log_in(upgraded.test_client(), email, PASSWORD).status_code == 200
    after = stored_hash(app, email)
    assert after != before
    assert after.startswith("$argon2id$")
    assert marker in after


def test_login_works_after_rehash(
    client: FlaskClient, app: Flask, make_app: Callable[..., Flask]
) -> None:
    """After the upgrade the password still works, and no further rehash happens."""
    client.post("/auth/register", json=register_body(1))
    email = "user1@example.com"
    upgraded = make_app(argon2_time_cost=2).test_client()
    assert log_in(upgraded, email, PASSWORD).status_code == 200
    rehashed = stored_hash(app, email)
    assert log_in(upgraded, email, PASSWORD).status_code == 200
    assert stored_hash(app, email) == rehashed


def test_login_with_current_parameters_keeps_hash(
    app: Flask, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """A login does not rewrite a hash that already has the current parameters."""
    user = make_user()
    before = stored_hash(app, user.email)
    login(user.email)
    assert stored_hash(app, user.email) == before


def test_failed_login_does_not_rehash(
    client: FlaskClient, app: Flask, make_app: Callable[..., Flask]
) -> None:
    """A wrong password on an upgraded instance leaves the old hash untouched."""
    client.post("/auth/register", json=register_body(1))
    email = "user1@example.com"
    before = stored_hash(app, email)
    upgraded = make_app(argon2_time_cost=2).test_client()
    assert log_in(upgraded, email, "wrong password!").status_code == 404
    assert stored_hash(app, email) == before


# --- the reference's bcrypt hashes ---


@pytest.mark.parametrize("prefix", ["$2b$", "$2a$", "$2y$"])
def test_legacy_bcrypt_hash_logs_in_and_is_upgraded(
    client: FlaskClient, app: Flask, make_user: Callable[..., User], prefix: str
) -> None:
    """A bcrypt hash from the reference is accepted once and replaced by argon2id."""
    user = make_user()
    store_hash(app, user.email, prefix + legacy_bcrypt(PASSWORD)[4:])
    reply = log_in(client, user.email, PASSWORD)
    assert reply.status_code == 200
    assert reply.get_json()["message"] == "Successfully logged in."
    assert stored_hash(app, user.email).startswith("$argon2id$")
    assert log_in(client, user.email, PASSWORD).status_code == 200


def test_wrong_password_against_bcrypt_hash_is_refused(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """A wrong password against a legacy hash is the contract's 404; the hash is kept."""
    user = make_user()
    legacy = legacy_bcrypt(PASSWORD)
    store_hash(app, user.email, legacy)
    reply = log_in(client, user.email, "not the password")
    assert reply.status_code == 404
    assert reply.get_json() == NOT_FOUND
    assert stored_hash(app, user.email) == legacy


@pytest.mark.reference_defect("hashed only the first 72 bytes of a password (bcrypt)")
def test_legacy_bcrypt_of_long_password_logs_in_with_full_password(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """The reference hashed only 72 bytes; the full (longer) password still logs in."""
    password = "legacy-" + "x" * 93  # 100 bytes
    user = make_user(password=PASSWORD)
    store_hash(app, user.email, legacy_bcrypt(password))
    assert log_in(client, user.email, password).status_code == 200
    assert stored_hash(app, user.email).startswith("$argon2id$")
    assert log_in(client, user.email, password).status_code == 200


def test_legacy_long_password_upgrade_no_longer_truncates(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """After the upgrade only the full password works, not its first 72 bytes."""
    password = "legacy-" + "x" * 93
    user = make_user()
    store_hash(app, user.email, legacy_bcrypt(password))
    assert log_in(client, user.email, password).status_code == 200
    assert log_in(client, user.email, password[:72]).status_code == 404


def test_legacy_bcrypt_of_long_multibyte_password(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """72-byte truncation that splits a UTF-8 character still matches the legacy hash."""
    password = "a" + "\u00fc" * 40  # 81 bytes; byte 72 is in the middle of a character
    user = make_user()
    store_hash(app, user.email, legacy_bcrypt(password))
    assert log_in(client, user.email, password).status_code == 200


@pytest.mark.parametrize("broken", ["$2b$04$short", "$2b$", "$2y$99$" + "a" * 53])
def test_malformed_bcrypt_hash_refuses_login(
    client: FlaskClient, app: Flask, make_user: Callable[..., User], broken: str
) -> None:
    """A corrupt bcrypt-looking hash refuses the login with 404, not a 500."""
    user = make_user()
    store_hash(app, user.email, broken)
    reply = log_in(client, user.email, PASSWORD)
    assert reply.status_code == 404
    assert reply.get_json() == NOT_FOUND


@pytest.mark.parametrize("broken", ["", "plain text password", "$argon2id$garbage", "!"])
def test_unrecognised_hash_refuses_login(
    client: FlaskClient, app: Flask, make_user: Callable[..., User], broken: str
) -> None:
    """A stored value that is no known hash (not even the password itself) refuses login."""
    user = make_user()
    store_hash(app, user.email, broken)
    assert log_in(client, user.email, PASSWORD).status_code == 404
    assert log_in(client, user.email, broken).status_code in (400, 404)


# --- no truncation, any characters ---


def test_new_accounts_use_every_byte_of_the_password(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """Passwords sharing their first 80 bytes but differing after are different passwords."""
    shared = "p" * 80
    user = make_user(password=shared + "-first")
    assert log_in(client, user.email, shared + "-first").status_code == 200
    assert log_in(client, user.email, shared + "-second").status_code == 404
    assert log_in(client, user.email, shared).status_code == 404


def test_long_password_registers_and_logs_in(client: FlaskClient) -> None:
    """A 1000-character password (within the policy) registers and logs in."""
    password = "long-" * 200
    assert (
        client.post("/auth/register", json=register_body(1, password=password)).status_code == 201
    )
    assert log_in(client, "user1@example.com", password).status_code == 200
    assert log_in(client, "user1@example.com", password[:-1]).status_code == 404


@pytest.mark.parametrize(
    "password",
    [
        "p\u00e4ssw\u00f6rd-\u00df",
        "\u65e5\u672c\u8a9e\u306e\u30d1\u30b9\u30ef\u30fc\u30c9",
        "\U0001f510\U0001f511\U0001f512\U0001f513",
        "\u043f\u0430\u0440\u043e\u043b\u044c-\u03c0\u03b1\u03c1",
    ],
    ids=["latin", "japanese", "emoji", "cyrillic-greek"],
)
def test_unicode_passwords_work(client: FlaskClient, password: str) -> None:
    """Passwords of non-ASCII characters register, log in, and differ from near misses."""
    body = register_body(1, password=password + "-" + password)
    assert client.post("/auth/register", json=body).status_code == 201
    assert log_in(client, "user1@example.com", body["password"]).status_code == 200
    assert log_in(client, "user1@example.com", body["password"] + "x").status_code == 404


def test_wrong_password_and_unknown_email_get_same_reply(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """A wrong password and an unknown email are indistinguishable replies."""
    user = make_user()
    wrong = log_in(client, user.email, "wrong password!")
    unknown = log_in(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json() == NOT_FOUND


# --- the hash never leaves the service ---


def test_hash_never_appears_in_api_replies(
    client: FlaskClient, app: Flask, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """No reply (register, login, status, users list, single user) contains the hash."""
    registered = client.post("/auth/register", json=register_body("reg"))
    user = make_user()
    token = login(user.email)
    replies = [
        registered,
        log_in(client, user.email, PASSWORD),
        client.get("/auth/status", headers=bearer(token)),
        client.get("/users"),
        client.get(f"/users/{user.id}"),
    ]
    hashes = [stored_hash(app, user.email), stored_hash(app, "userreg@example.com")]
    for reply in replies:
        assert reply.status_code in (200, 201)
        text = reply.get_data(as_text=True)
        assert "$argon2" not in text
        assert "password" not in text.lower()
        for value in hashes:
            assert value not in text


def test_hash_never_appears_for_legacy_users(
    client: FlaskClient, app: Flask, make_user: Callable[..., User]
) -> None:
    """Users still on a bcrypt hash are listed without it."""
    user = make_user()
    legacy = legacy_bcrypt(PASSWORD)
    store_hash(app, user.email, legacy)
    for path in ("/users", f"/users/{user.id}"):
        text = client.get(path).get_data(as_text=True)
        assert legacy not in text
        assert "$2b$" not in text


def test_rejected_password_is_not_echoed(client: FlaskClient) -> None:
    """A password refused by the policy is not echoed back in the 400 reply."""
    password = "too-long-secret-" * 70
    reply = client.post("/auth/register", json=register_body(1, password=password))
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Invalid payload."
    assert "too-long-secret" not in reply.get_data(as_text=True)


# --- the hasher itself ---


@pytest.fixture
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_kib=8, parallelism=1, threads=1)


def test_verify_without_stored_hash_fails(hasher: PasswordHasher) -> None:
    """verify(None, ...) (no such user) is a failure with nothing to replace."""
    result = hasher.verify(None, PASSWORD)
    assert result.ok is False
    assert result.outdated is False


def test_verify_matches_own_hash(hasher: PasswordHasher) -> None:
    """A fresh hash verifies, needs no rehash, and refuses another password."""
    value = hasher.hash(PASSWORD)
    assert hasher.verify(value, PASSWORD).ok
    assert hasher.verify(value, PASSWORD).outdated is False
    assert not hasher.verify(value, PASSWORD + "!").ok


def test_verify_bcrypt_is_outdated(hasher: PasswordHasher) -> None:
    """A matching bcrypt hash is reported for replacement (the caller rehashes, only for a
    login it accepts)."""
    result = hasher.verify(legacy_bcrypt(PASSWORD), PASSWORD)
    assert result.ok
    assert result.outdated


def test_verify_wrong_password_against_bcrypt_is_not_outdated(hasher: PasswordHasher) -> None:
    """A failing bcrypt check asks for no replacement."""
    result = hasher.verify(legacy_bcrypt(PASSWORD), "wrong")
    assert result.ok is False
    assert result.outdated is False
