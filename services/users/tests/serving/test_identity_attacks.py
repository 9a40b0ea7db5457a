"""Identity spoofing and the small holes of issue 16, against the real gunicorn: names that
look like another's or render as nothing, an email spelled another way, OPTIONS, a failed
If-Match, a deleted user's token, and the embedded database's file mode."""

import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from services.users.tests.support.gunicorn_server import GUNICORN, Serve, Server, server_env
from services.users.tests.support.helpers import PASSWORD, bearer

pytestmark = pytest.mark.serving


@pytest.fixture
def server(serve: Serve) -> Iterator[Server]:
    with serve() as running:
        yield running


def register(server: Server, username: str, email: str) -> requests.Response:
    body = {"username": username, "email": email, "password": PASSWORD}
    return requests.post(f"{server.base_url}/auth/register", json=body, timeout=10)


@pytest.mark.parametrize(
    ("taken", "lookalike"),
    [
        ("bob", "\uff42\uff4f\uff42"),  # fullwidth
        ("josé", "jose\u0301"),  # the same name in NFD
        ("Émile", "émile"),  # case beyond ASCII (SQLite's lower() folds ASCII only)
        ("admin", "admin\u3164"),  # a filler that renders as nothing
    ],
    ids=["fullwidth", "nfd", "accented case", "invisible filler"],
)
def test_a_name_that_looks_taken_is_taken(server: Server, taken: str, lookalike: str) -> None:
    assert register(server, taken, f"{len(taken)}a@example.com").status_code == 201
    reply = register(server, lookalike, "other@example.com")
    assert reply.status_code == 400
    assert reply.json()["status"] == "error"


@pytest.mark.parametrize("name", ["p\u0430ul", "\u200b\u200b", "\u3164", " \u2800 "], ids=repr)
def test_mixed_script_and_invisible_names_are_refused(server: Server, name: str) -> None:
    reply = register(server, name, "new@example.com")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Invalid payload."


def test_login_finds_the_account_by_any_spelling_of_its_email(server: Server) -> None:
    assert register(server, "mail", "mail@example.com").status_code == 201
    for spelling in ("MAIL@example.com", "\uff4d\uff41\uff49\uff4c@example.com"):
        body = {"email": spelling, "password": PASSWORD}
        reply = requests.post(f"{server.base_url}/auth/login", json=body, timeout=10)
        assert reply.status_code == 200, spelling


def test_options_and_a_failed_if_match_are_json(server: Server) -> None:
    options = requests.options(f"{server.base_url}/users", timeout=10)
    assert options.status_code == 200
    assert options.headers["Content-Type"] == "application/json"
    assert "GET" in options.headers["Allow"]
    asset = requests.get(
        f"{server.base_url}/docs/assets/swagger-ui.css", headers={"If-Match": '"x"'}, timeout=10
    )
    assert asset.status_code == 412
    assert asset.headers["Content-Type"] == "application/json"


def test_a_deleted_users_token_does_not_pass_to_the_next_registrant(
    serve: Serve, tmp_path: Path
) -> None:
    """On the embedded SQLite database: a deleted user's id is never given again, so its
    unexpired token names nobody (401), and the database file is private to the service."""
    env = {"DATABASE_URL": "", "DATA_DIR": str(tmp_path)}
    migrated = subprocess.run(
        [str(GUNICORN.parent / "users-service"), "db", "upgrade"],
        env=server_env(**env),
        capture_output=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    database = tmp_path / "users.sqlite3"
    with serve(**env) as server:
        token = register(server, "first", "first@example.com").json()["auth_token"]
        with sqlite3.connect(database) as connection:
            connection.execute("DELETE FROM users WHERE username = 'first'")
        second = register(server, "second", "second@example.com").json()
        mine = requests.get(
            f"{server.base_url}/auth/status", headers=bearer(second["auth_token"]), timeout=10
        )
        theirs = requests.get(f"{server.base_url}/auth/status", headers=bearer(token), timeout=10)
    assert mine.json()["data"]["id"] == 2
    assert theirs.status_code == 401
    assert theirs.json()["message"] == "Something went wrong. Please contact us."
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
