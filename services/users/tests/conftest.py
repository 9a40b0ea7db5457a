"""Fixtures: settings, a migrated database, an app and client per test, clock, factories.

Every test starts from empty tables: rows are deleted after each test rather than rolled
back, because several tests need real commits seen by other connections (races,
revocation across instances).
"""

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from users_service import clock, migrations
from users_service.app import create_app
from users_service.auth import rsa_keys
from users_service.auth.passwords import current_hasher
from users_service.config import Settings
from users_service.models import Base, User
from users_service.models.database import db
from users_service.users import accounts
from users_service.users.schemas import UserCreate

from services.users.tests.support.clock import FakeClock
from services.users.tests.support.gunicorn_server import (
    SERVICE_APP,
    Serve,
    Server,
    running_gunicorn,
    server_env,
)
from services.users.tests.support.helpers import (
    FAST_HASHING,
    PASSWORD,
    UNREACHABLE_DATABASE,
    Member,
    bearer,
    dispose_engine,
)
from services.users.tests.support.moto_server import Bucket, running_moto

# Credentials that moto accepts and AWS never would; no file or metadata service consulted.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
AWS_ENV_CLEARED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgresql", "postgres://"))


@pytest.fixture(scope="session")
def make_settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Settings]:
    secret = secrets.token_urlsafe(48)
    private_key = rsa_keys.generate_pem()
    data_dir = tmp_path_factory.mktemp("data")

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "app_env": "testing",
            "database_url": database_url,
            "secret_key": secret,
            "jwt_private_keys": private_key,
            "data_dir": data_dir,
            "instance_id": "test-instance",
            # Most tests log in far more often than a person would; test_rate_limits turns
            # the limits on.
            "rate_limits_enabled": False,
            **FAST_HASHING,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return factory


@pytest.fixture(scope="session")
def migrated(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    migrations.upgrade(settings)


@pytest.fixture
def token_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Overrides of the token settings of `settings` (and so of `app`): none by default (RS256);
    a module marked `EACH_ALGORITHM` (support/tokens.py) runs its tests under both."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    return overrides


@pytest.fixture
def settings(make_settings: Callable[..., Settings], token_settings: dict[str, Any]) -> Settings:
    return make_settings(**token_settings)


@pytest.fixture
def app(settings: Settings, migrated: None) -> Iterator[Flask]:
    application = create_app(settings)
    yield application
    _empty_tables(settings.sqlalchemy_url)
    dispose_engine(application)


@pytest.fixture
def make_app(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., Flask]]:
    """Build extra apps: `make_app(**overrides)` on `make_settings(**overrides)`, or
    `make_app(settings=...)` on ready settings. Every engine is disposed at teardown.

    It does not empty the tables: a test whose extra apps write to the test database also
    requests `app`, whose teardown does.
    """
    built: list[Flask] = []

    def factory(*, settings: Settings | None = None, **overrides: Any) -> Flask:
        if settings is not None and overrides:
            raise TypeError("make_app takes either settings= or overrides, not both")
        application = create_app(settings if settings is not None else make_settings(**overrides))
        built.append(application)
        return application

    yield factory
    for application in built:
        dispose_engine(application)


@pytest.fixture
def offline_app(make_app: Callable[..., Flask]) -> Flask:
    """An app whose database refuses connections (nothing listens on port 1)."""
    return make_app(database_url=UNREACHABLE_DATABASE)


def _empty_tables(url: str) -> None:
    """Delete every row of every mapped table, children before the tables they reference."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def fake_clock() -> Iterator[FakeClock]:
    fake = FakeClock(datetime.now(UTC))
    clock.set_source(fake.now)
    yield fake
    clock.set_source(None)


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def factory(
        username: str | None = None,
        email: str | None = None,
        password: str = PASSWORD,
        admin: bool = False,
        active: bool = True,
    ) -> User:
        n = next(counter)
        data = UserCreate(
            username=username or f"user{n}",
            email=email or f"user{n}@example.com",
            password=password,
        )
        with app.app_context():
            user = accounts.create_user(
                db.session, current_hasher(), **data.model_dump(), admin=admin
            )
            if not active:
                user.active = False
                db.session.commit()
            return user

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., str]:
    """Log in through the API; returns the access token."""

    def do_login(email: str, password: str = PASSWORD) -> str:
        reply = client.post("/auth/login", json={"email": email, "password": password})
        assert reply.status_code == 200, reply.get_json()
        token: str = reply.get_json()["auth_token"]
        return token

    return do_login


@pytest.fixture
def admin_token(make_user: Callable[..., User], login: Callable[..., str]) -> str:
    """An access token of an admin (`admin@example.com`)."""
    admin = make_user(username="admin", email="admin@example.com", admin=True)
    return login(admin.email)


@pytest.fixture
def user_token(make_user: Callable[..., User], login: Callable[..., str]) -> str:
    """An access token of a user who is not an admin (`plain@example.com`)."""
    user = make_user(username="plain", email="plain@example.com")
    return login(user.email)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto S3 server for the session (started on first use); buckets isolate tests."""
    with running_moto() as endpoint:
        yield endpoint


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AWS_ENV_CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_bucket(moto_endpoint: str, fake_aws_env: None) -> Iterator[Bucket]:
    """A fresh, empty bucket on the moto server; emptied and removed afterwards."""
    client = boto3.session.Session().client("s3", endpoint_url=moto_endpoint)
    bucket = Bucket(f"test-{secrets.token_hex(8)}", moto_endpoint, client)
    client.create_bucket(Bucket=bucket.name)
    yield bucket
    for key in bucket.object_keys():
        client.delete_object(Bucket=bucket.name, Key=key)
    client.delete_bucket(Bucket=bucket.name)


@pytest.fixture(params=["database", "s3"])
def storage_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings overrides for each file storage: a test using this runs once per storage."""
    if request.param == "database":
        return {}
    bucket: Bucket = request.getfixturevalue("s3_bucket")
    return bucket.settings()


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    """A user; a module that needs particular details overrides it."""
    return make_user()


@pytest.fixture
def token(user: User, login: Callable[..., str]) -> str:
    """An access token of `user`."""
    return login(user.email)


@pytest.fixture
def member(make_user: Callable[..., User], login: Callable[..., str]) -> Member:
    """A signed-in user, for the files routes."""
    user = make_user(username="uploader", email="uploader@example.com")
    return Member(user.id, user.username, bearer(login(user.email)))


@pytest.fixture
def tmp_seed_file(tmp_path: Path) -> Path:
    return tmp_path / "seed"


@pytest.fixture
def serve(app: Flask, settings: Settings, database_url: str, tmp_path: Path) -> Serve:
    """Run gunicorn against the test database, with the signing keys of `settings`; `app`
    empties the tables afterwards. Its stdout and stderr go to one file, or to two with
    `stderr_apart=True`; `serve(app="module:name")` serves another WSGI app."""
    assert settings.secret_key is not None
    assert settings.jwt_private_keys is not None

    def start(
        app: str = SERVICE_APP, *, stderr_apart: bool = False, **overrides: str
    ) -> AbstractContextManager[Server]:
        defaults = {
            "APP_ENV": "testing",
            "DATABASE_URL": database_url,
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
            "JWT_ALGORITHM": settings.jwt_algorithm,
            "JWT_PRIVATE_KEYS": settings.jwt_private_keys.get_secret_value(),  # type: ignore[union-attr]
            **{k.upper(): str(v) for k, v in FAST_HASHING.items()},
        }
        env = server_env(**{**defaults, **overrides})
        log = tmp_path / f"gunicorn-{env['PORT']}.log"
        stderr = log.with_suffix(".stderr") if stderr_apart else None
        return running_gunicorn(env, log, stderr, app)

    return start
