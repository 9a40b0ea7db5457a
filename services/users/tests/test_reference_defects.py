"""Regression tests: one per defect of the reference listed in shared/REFERENCE-CONTRACT.md
that can be shown in-process. Each docstring quotes the defect it guards against.
"""

import base64
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import argon2
import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect, text
from werkzeug.test import TestResponse

from users_service import config
from users_service.auth.passwords import current_hasher
from users_service.config import Settings
from users_service.models import User

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.helpers import (
    PASSWORD,
    UNREACHABLE_DATABASE,
    bearer,
    dispose_engine,
    register_body,
)

INVALID_TOKEN = "Invalid token. Please log in again."
SRC = Path(__file__).resolve().parents[1] / "src"
PRODUCTION_HASHING = {"argon2_time_cost": 2, "argon2_memory_kib": 19456, "argon2_parallelism": 1}


def assert_invalid_token(reply: TestResponse) -> None:
    assert reply.status_code == 401, reply.get_data(as_text=True)
    assert reply.is_json
    assert reply.get_json() == {"status": "error", "message": INVALID_TOKEN}


def assert_invalid_payload(reply: TestResponse, field: str | None = None) -> None:
    """A JSON 400 `Invalid payload.` whose `errors` list names `field` (when given)."""
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.is_json, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["message"] == "Invalid payload."
    assert isinstance(body["errors"], list)
    assert body["errors"]
    if field is not None:
        assert field in [problem["field"] for problem in body["errors"]], body["errors"]


def secret_of(settings: Settings) -> str:
    assert settings.secret_key is not None
    return settings.secret_key.get_secret_value()


def claims_for(user_id: int, **overrides: Any) -> dict[str, Any]:
    """Claims the service itself would issue; `overrides` changes or (with None) drops one."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(username="alice", email="alice@example.com")


# --- Logout did nothing: the token kept working ----------------------------------------------


def test_logout_revokes_the_token(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Defect: logout did nothing, the token kept working."""
    token = login(user.email)
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200
    assert client.get("/auth/logout", headers=bearer(token)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))
    assert_invalid_token(client.get("/auth/logout", headers=bearer(token)))


def test_logout_revokes_only_that_token(
    client: FlaskClient, user: User, login: Callable[..., str]
) -> None:
    """Defect: logout did nothing. Revoking one token leaves the user's other sessions alone."""
    first, second = login(user.email), login(user.email)
    assert client.get("/auth/logout", headers=bearer(first)).status_code == 200
    assert_invalid_token(client.get("/auth/status", headers=bearer(first)))
    assert client.get("/auth/status", headers=bearer(second)).status_code == 200


# --- Tokens -----------------------------------------------------------------------------------


def test_token_with_the_service_claims_and_hs256_is_accepted(
    client: FlaskClient, user: User, settings: Settings
) -> None:
    """Control for the forged-token tests below: the same claims, correctly signed, work."""
    token = jwt.encode(claims_for(user.id), secret_of(settings), algorithm="HS256")
    assert client.get("/auth/status", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_algorithm_is_pinned(
    client: FlaskClient, user: User, settings: Settings, algorithm: str
) -> None:
    """Defect: `algorithms` not pinned on decode. Right secret, other HMAC algorithm: 401."""
    token = jwt.encode(claims_for(user.id), secret_of(settings), algorithm=algorithm)
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


def test_token_without_exp_is_refused(client: FlaskClient, user: User, settings: Settings) -> None:
    """Defect: tokens without `exp` were accepted."""
    token = jwt.encode(claims_for(user.id, exp=None), secret_of(settings), algorithm="HS256")
    assert "exp" not in jwt.decode(token, options={"verify_signature": False})
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


def test_alg_none_token_is_refused(client: FlaskClient, user: User) -> None:
    """Defect: an `alg: none` token gave a 500 (and must never authenticate)."""
    token = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{b64url(claims_for(user.id))}."
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer    ", "bearer"])
def test_bare_bearer_header_is_401_not_500(client: FlaskClient, header: str) -> None:
    """Defect: a bare `Bearer` header gave a 500."""
    assert_invalid_token(client.get("/auth/status", headers={"Authorization": header}))


@pytest.mark.parametrize(
    "subject",
    ["alice", "", "1.0", "-1", "01", " 1", "1e3", "99999999999999999999999", 1, None],
    ids=repr,
)
def test_token_with_non_numeric_sub_is_refused(
    client: FlaskClient, user: User, settings: Settings, subject: object
) -> None:
    """Defect: a string (non-numeric) `sub` gave a 500. Also a number or a missing `sub`."""
    claims = claims_for(user.id)
    claims.pop("sub")
    if subject is not None:
        claims["sub"] = subject
    token = jwt.encode(claims, secret_of(settings), algorithm="HS256")
    assert_invalid_token(client.get("/auth/status", headers=bearer(token)))


@pytest.mark.parametrize("scheme", ["Basic", "Token", "JWT", "Bearer:"])
def test_scheme_word_is_checked(
    client: FlaskClient, user: User, login: Callable[..., str], scheme: str
) -> None:
    """Defect: the scheme word was never checked. A valid token under another scheme: 401."""
    token = login(user.email)
    reply = client.get("/auth/status", headers={"Authorization": f"{scheme} {token}"})
    assert_invalid_token(reply)


def test_token_lifetime_is_short(
    client: FlaskClient, user: User, login: Callable[..., str], settings: Settings
) -> None:
    """Defect: a 30-day token lifetime. A token lives ACCESS_TOKEN_TTL_SECONDS (<= 1 h)."""
    claims = jwt.decode(login(user.email), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    default = Settings.model_fields["access_token_ttl_seconds"].default
    assert isinstance(default, int)
    assert 0 < default <= 3600


def test_default_token_lifetime_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: a 30-day lifetime. With nothing configured, Settings gives at most an hour."""
    monkeypatch.delenv("ACCESS_TOKEN_TTL_SECONDS", raising=False)
    settings = Settings(_env_file=None, app_env="testing")  # type: ignore[call-arg]
    assert 0 < settings.access_token_ttl_seconds <= 3600


# --- Input validation -------------------------------------------------------------------------

WRONG_TYPES: list[object] = [42, ["user1"], {"value": "user1"}, True, None]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_field_of_wrong_type(client: FlaskClient, field: str, value: object) -> None:
    """Defect: any field of the wrong type gave a 500 HTML page."""
    body = register_body()
    body[field] = value
    reply = client.post("/auth/register", json=body)
    assert_invalid_payload(reply, field)
    assert reply.get_json()["status"] == "error"


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
@pytest.mark.parametrize("field", ["email", "password"])
def test_login_field_of_wrong_type(
    client: FlaskClient, user: User, field: str, value: object
) -> None:
    """Defect: any field of the wrong type gave a 500 HTML page (login too)."""
    body = {"email": user.email, "password": PASSWORD, field: value}
    assert_invalid_payload(client.post("/auth/login", json=body), field)


def test_username_over_128_characters_is_refused(client: FlaskClient) -> None:
    """Defect: a username over 128 characters gave a 500."""
    reply = client.post("/auth/register", json=register_body(username="u" * 129))
    assert_invalid_payload(reply, "username")


def test_username_of_128_characters_is_accepted(client: FlaskClient) -> None:
    """Defect: a username over 128 characters gave a 500; exactly 128 is fine."""
    reply = client.post("/auth/register", json=register_body(username="u" * 128))
    assert reply.status_code == 201, reply.get_json()
    token = reply.get_json()["auth_token"]
    status = client.get("/auth/status", headers=bearer(token)).get_json()
    assert status["data"]["username"] == "u" * 128


@pytest.mark.parametrize("route", ["/auth/register", "/auth/login", "/users"])
def test_json_array_body_is_400(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str], route: str
) -> None:
    """Defect: a JSON array body gave a 500 HTML page."""
    admin = make_user(admin=True)
    reply = client.post(route, json=[register_body()], headers=bearer(login(admin.email)))
    assert_invalid_payload(reply)


def test_emails_are_unique_case_insensitively(client: FlaskClient) -> None:
    """Defect: emails were unique only case-sensitively."""
    first = client.post("/auth/register", json=register_body(1, email="A@x.com"))
    assert first.status_code == 201
    second = client.post("/auth/register", json=register_body(2, email="a@X.COM"))
    assert second.status_code == 400
    assert second.get_json() == {"status": "error", "message": "Sorry. That user already exists."}
    assert len(client.get("/users").get_json()["data"]["users"]) == 1


def test_emails_are_unique_case_insensitively_on_add_user(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str]
) -> None:
    """Defect: emails were unique only case-sensitively (POST /users too)."""
    admin = make_user(admin=True, email="Admin@Example.com")
    body = register_body(9, email="admin@example.COM")
    reply = client.post("/users", json=body, headers=bearer(login(admin.email)))
    assert reply.status_code == 400
    assert reply.get_json()["message"] == "Sorry. That email already exists."


def test_login_email_is_case_insensitive(client: FlaskClient) -> None:
    """Follows from case-insensitive uniqueness: the account is found whatever the case."""
    assert (
        client.post("/auth/register", json=register_body(email="Mixed@Example.com")).status_code
        == 201
    )
    reply = client.post("/auth/login", json={"email": "mixed@example.com", "password": PASSWORD})
    assert reply.status_code == 200


@pytest.mark.parametrize("email", ["", "nope", "nope@", "@example.com", "a b@example.com"])
def test_invalid_emails_are_refused(client: FlaskClient, email: str) -> None:
    """Defect: `""` and `"nope"` were accepted as emails."""
    reply = client.post("/auth/register", json=register_body(email=email))
    assert_invalid_payload(reply, "email")
    assert client.get("/users").get_json()["data"]["users"] == []


# --- Inactive users could log in --------------------------------------------------------------


def test_inactive_user_cannot_log_in(client: FlaskClient, make_user: Callable[..., User]) -> None:
    """Defect: inactive users could log in (and got a useless token)."""
    inactive = make_user(active=False)
    reply = client.post("/auth/login", json={"email": inactive.email, "password": PASSWORD})
    assert reply.status_code == 404
    body = reply.get_json()
    assert body == {"status": "error", "message": "User does not exist."}
    assert "auth_token" not in body


# --- created_at was the import time of the process --------------------------------------------


def test_created_at_is_the_creation_time(
    client: FlaskClient, make_user: Callable[..., User], fake_clock: FakeClock
) -> None:
    """Defect: `created_at` defaulted to the import time: every user of one process had the
    same timestamp and the order was arbitrary."""
    older_time = fake_clock.current.replace(microsecond=0)
    older = make_user(username="older")
    fake_clock.advance(hours=1)
    newer = make_user(username="newer")
    users = client.get("/users").get_json()["data"]["users"]
    assert [u["id"] for u in users] == [newer.id, older.id]
    newer_at, older_at = (parsedate_to_datetime(u["created_at"]) for u in users)
    assert abs((newer_at - older_at) - timedelta(hours=1)) <= timedelta(seconds=1)
    assert older_at == older_time


# --- The secret was committed in four files ----------------------------------------------------


def _source_files() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


SECRET_DEFAULT_PATTERNS = [
    # os.environ.get("SECRET_KEY", "..."), os.getenv("SECRET_KEY", "...")
    re.compile(r"""(?:get|getenv|setdefault)\(\s*["']SECRET_KEY["']\s*,"""),
    # SECRET_KEY = "...", app.config["SECRET_KEY"] = "...", secret_key: str = "..."
    re.compile(r"""SECRET_KEY["']?\]?\s*(?::[^=\n]*)?=\s*(?:SecretStr\()?\s*[rbuf]?["']""", re.I),
    # Field("...") or Field(default="...") on secret_key
    re.compile(r"""secret_key\s*:[^=\n]*=\s*Field\(\s*(?:default\s*=\s*)?["']""", re.I),
]


def test_source_tree_is_scanned() -> None:
    """Guard for the scans below: they really read the service's code."""
    names = {path.name for path in _source_files()}
    assert {"config.py", "tokens.py", "signing_key.py"} <= names


def test_reference_secret_is_not_in_the_code() -> None:
    """Defect: the secret `my_precious` was committed. Its only allowed mention is the list of
    known weak secrets that production configuration refuses."""
    offending = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "my_precious" in line and not line.startswith("KNOWN_WEAK_SECRETS ="):
                offending.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offending == []
    assert "my_precious" in config.KNOWN_WEAK_SECRETS


def test_no_secret_key_default_in_the_code() -> None:
    """Defect: the secret was committed as a default value."""
    offending = []
    for path in _source_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if any(pattern.search(line) for pattern in SECRET_DEFAULT_PATTERNS):
                offending.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offending == []


def test_settings_have_no_secret_key_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the secret was committed. With no SECRET_KEY in the environment there is none."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert Settings.model_fields["secret_key"].default is None
    assert Settings(_env_file=None, app_env="testing").secret_key is None  # type: ignore[call-arg]


def test_production_refuses_the_reference_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: the secret `my_precious` was committed. Production refuses to start with it."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            app_env="production",
            secret_key=SecretStr("my_precious"),
            database_url=SecretStr("postgresql://users:pw@db.internal/users"),
        )


# --- Every start ran drop-all + create-all + seed ---------------------------------------------


def _table_names(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _serve_a_few_requests(application: Flask) -> None:
    """Start-up and a few requests; then the app's engine is disposed, so that the test can
    inspect the database file through an engine of its own."""
    client = application.test_client()
    assert client.get("/ping").status_code == 200
    client.get("/users")  # touches the database: no lazy create-all on first use either
    client.post("/auth/register", json=register_body())
    dispose_engine(application)


def test_start_up_creates_no_tables(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """Defect: every container start ran create-all (+ seed)."""
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    _serve_a_few_requests(make_app(database_url=url))
    assert _table_names(url) == []


def test_start_up_drops_nothing(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """Defect: every container start ran drop-all: every deploy wiped the data."""
    url = f"sqlite:///{tmp_path}/kept.sqlite3"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE kept (value TEXT)"))
        connection.execute(text("INSERT INTO kept VALUES ('still here')"))
    _serve_a_few_requests(make_app(database_url=url))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM kept")).scalars().all() == ["still here"]
    engine.dispose()
    assert _table_names(url) == ["kept"]


# --- /ping never touched the database ---------------------------------------------------------


def test_ping_does_not_need_the_database(make_app: Callable[..., Flask]) -> None:
    """/ping answers while the database is unreachable; routes that need it answer a JSON 503
    (the reference's health check could not tell, and crashes were HTML)."""
    client = make_app(database_url=UNREACHABLE_DATABASE).test_client()
    ping = client.get("/ping")
    assert ping.status_code == 200
    assert ping.get_json() == {"status": "success", "message": "pong!"}
    users = client.get("/users")
    assert users.status_code == 503
    assert users.is_json
    assert users.get_json()["status"] == "error"
    assert client.get("/ready").status_code == 503


# --- Login timing revealed whether an email exists -------------------------------------------


class VerificationCounter:
    """Counts password verifications at the service's hasher and inside argon2, and hashes."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.service_verify = self.argon2_verify = self.argon2_hash = 0
        with app.app_context():
            hasher = current_hasher()
        original_verify = hasher.verify
        argon2_verify = argon2.PasswordHasher.verify
        argon2_hash = argon2.PasswordHasher.hash

        def count_service_verify(*args: Any) -> Any:
            self.service_verify += 1
            return original_verify(*args)

        def count_argon2_verify(*args: Any, **kwargs: Any) -> Any:
            self.argon2_verify += 1
            return argon2_verify(*args, **kwargs)

        def count_argon2_hash(*args: Any, **kwargs: Any) -> Any:
            self.argon2_hash += 1
            return argon2_hash(*args, **kwargs)

        monkeypatch.setattr(hasher, "verify", count_service_verify)
        monkeypatch.setattr(argon2.PasswordHasher, "verify", count_argon2_verify)
        monkeypatch.setattr(argon2.PasswordHasher, "hash", count_argon2_hash)

    @property
    def counts(self) -> tuple[int, int, int]:
        return self.service_verify, self.argon2_verify, self.argon2_hash


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


def _median_login_seconds(client: FlaskClient, body: dict[str, str], rounds: int) -> float:
    client.post("/auth/login", json=body)  # warm-up, not measured
    durations = []
    for _ in range(rounds):
        start = time.perf_counter()
        reply = client.post("/auth/login", json=body)
        durations.append(time.perf_counter() - start)
        assert reply.status_code == 404
    return statistics.median(durations)


def test_login_time_does_not_reveal_whether_an_email_exists(
    app: Flask, make_app: Callable[..., Flask]
) -> None:
    """Defect: login took ~2 ms for an unknown email and ~400 ms for a wrong password
    (a ~200x ratio). Measured with the production hashing parameters."""
    client = make_app(**PRODUCTION_HASHING).test_client()  # same database as `app`
    assert client.post("/auth/register", json=register_body("timed")).status_code == 201
    unknown = _median_login_seconds(
        client, {"email": "nobody@example.com", "password": PASSWORD}, rounds=7
    )
    wrong = _median_login_seconds(
        client, {"email": "usertimed@example.com", "password": "wrong password!"}, rounds=7
    )
    print(
        f"median login: unknown email {unknown * 1000:.1f} ms, wrong password {wrong * 1000:.1f} ms"
    )
    assert 0.5 <= unknown / wrong <= 2, (unknown, wrong)
