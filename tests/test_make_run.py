"""The README's first command, `make run`, serves the API on an embedded SQLite default, with
the settings of a `.env` file (the environment winning over it)."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from services.users.tests.support.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    unset = {"DATABASE_URL", "SECRET_KEY", "JWT_ALGORITHM", "JWT_PRIVATE_KEYS"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    settings = tmp_path / "settings.env"
    settings.write_text(f"USERS_PAGE_SIZE=3\nPORT={free_port()}\n")  # the environment's PORT wins
    env.update(
        PORT=str(port),
        DATA_DIR=str(tmp_path / "var"),
        APP_ENV="development",
        ENV_FILE=str(settings),
    )
    log = (tmp_path / "make-run.log").open("wb")
    # Its own session, so the whole tree (make, gunicorn master, workers) stops together.
    process = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield _wait_for_ping(f"http://127.0.0.1:{port}", process, tmp_path / "make-run.log")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _wait_for_ping(base: str, process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 300  # the first run may build the virtual environment
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"{base}/ping", timeout=1).status_code == 200:
                return base
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError(f"make run did not serve /ping:\n{log.read_text()}")


def test_make_run_serves_the_api_on_sqlite(make_run: str, tmp_path: Path) -> None:
    body = {"username": "michael", "email": "michael@realpython.com", "password": "s3cure pass"}
    assert requests.post(f"{make_run}/auth/register", json=body, timeout=10).status_code == 201
    login = requests.post(f"{make_run}/auth/login", json=body, timeout=10)
    token = login.json()["auth_token"]
    status = requests.get(
        f"{make_run}/auth/status", timeout=5, headers={"Authorization": f"Bearer {token}"}
    )
    assert status.json()["data"]["username"] == "michael"
    assert (tmp_path / "var" / "users.sqlite3").is_file()
    # RS256 by default: a key generated once, private to the owner, publishes the token's kid
    assert (tmp_path / "var" / "jwt_private_key.pem").stat().st_mode & 0o077 == 0
    jwks = requests.get(f"{make_run}/.well-known/jwks.json", timeout=5).json()
    assert [key["kid"] for key in jwks["keys"]] == [jwt.get_unverified_header(token)["kid"]]


def test_make_run_reads_the_settings_file_and_starts_quietly(make_run: str, tmp_path: Path) -> None:
    page = requests.get(f"{make_run}/users", timeout=5).json()
    assert page["data"]["limit"] == 3
    log = (tmp_path / "make-run.log").read_text()
    assert "Running upgrade" in log
    assert "alembic.runtime.plugins" not in log
