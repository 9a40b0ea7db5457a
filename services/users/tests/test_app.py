"""The application factory: starting the service changes nothing in the database; CORS is
configured from the settings."""

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text

from users_service.config import Settings

from services.users.tests.support.helpers import dispose_engine, register_body

# --- start-up ---------------------------------------------------------------------------


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


@pytest.mark.reference_defect("ran create-all and the seed on every start")
def test_start_up_creates_no_tables(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    """Defect: every container start ran create-all (+ seed)."""
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    _serve_a_few_requests(make_app(database_url=url))
    assert _table_names(url) == []


@pytest.mark.reference_defect("ran drop-all on every start: every deploy wiped the data")
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


# --- CORS -----------------------------------------------------------------------------------

ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
def cors_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app that allows one origin (configured in the env's string format)."""
    return make_app(cors_origins=ALLOWED_ORIGIN).test_client()


def test_cors_origins_string_is_parsed(make_settings: Callable[..., Settings]) -> None:
    """The comma-separated env format becomes a tuple of origins."""
    settings = make_settings(cors_origins=f"{ALLOWED_ORIGIN}, https://b.example.com ,")
    assert settings.cors_origins == (ALLOWED_ORIGIN, "https://b.example.com")


def test_cors_allowed_origin(cors_client: FlaskClient) -> None:
    """A request from the allowed origin gets Access-Control-Allow-Origin for it."""
    reply = cors_client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_cors_exposes_identity_headers(cors_client: FlaskClient) -> None:
    """Browsers may read X-Request-Id and X-Instance-Id."""
    reply = cors_client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    exposed = {
        item.strip().lower() for item in reply.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"x-request-id", "x-instance-id"} <= exposed


def test_cors_other_origin_gets_nothing(cors_client: FlaskClient) -> None:
    """Another origin gets no Access-Control-Allow-Origin."""
    reply = cors_client.get("/ping", headers={"Origin": "https://evil.example.com"})
    assert reply.status_code == 200
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_cors_not_configured_sends_no_header(client: FlaskClient) -> None:
    """Without CORS_ORIGINS, no CORS header is sent at all."""
    reply = client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    assert reply.status_code == 200
    assert not [name for name, _ in reply.headers.items() if name.lower().startswith("access-")]


def test_cors_preflight_for_allowed_origin(cors_client: FlaskClient) -> None:
    """A preflight OPTIONS from the allowed origin is answered with the CORS grant."""
    reply = cors_client.options(
        "/auth/register",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    allowed_headers = reply.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers
    assert "authorization" in allowed_headers


def test_cors_preflight_for_other_origin(cors_client: FlaskClient) -> None:
    """A preflight from another origin gets no grant."""
    reply = cors_client.options(
        "/auth/register",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in reply.headers


@pytest.mark.parametrize("path", ["/users", "/auth/login", "/ping", "/files/1"])
def test_options_answers_in_the_json_envelope(client: FlaskClient, path: str) -> None:
    """OPTIONS without CORS: the allowed methods, as JSON like every other reply."""
    reply = client.options(path)
    assert reply.status_code == 200
    assert reply.is_json
    allowed = reply.headers["Allow"]
    assert "OPTIONS" in allowed
    assert reply.get_json() == {"status": "success", "message": f"Allowed methods: {allowed}."}
