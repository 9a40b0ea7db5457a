"""Uploads as an attacker sends them, against a real gunicorn on 127.0.0.1: stalled bodies
must not take the database pool, a full temporary space is a JSON answer."""

import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, text

from users_service.config import Settings, normalize_database_url

from services.users.tests.serving.upload_load import (
    MIB,
    MULTIPART_TYPE,
    members,
    multipart,
    raw_request,
    request_head,
    stalled_downloads,
)
from services.users.tests.support.gunicorn_server import (
    GUNICORN,
    START_TIMEOUT_SECONDS,
    Serve,
    Server,
    server_env,
    stop,
    wait_until_ok,
)
from services.users.tests.support.helpers import FAST_HASHING

pytestmark = pytest.mark.serving
STALLED = 24
SYNC_TIMEOUT_SECONDS = 30


@pytest.mark.postgres_only
def test_stalled_uploads_hold_no_database_connection(serve: Serve, database_url: str) -> None:
    """24 uploads send their headers and one line of body, then nothing (more than both
    workers' pools hold connections): every database route still answers, and PostgreSQL
    shows no session of the service idle in a transaction."""
    limits = {
        "BODY_TIMEOUT_SECONDS": "300",  # the pool is under test, not the body deadline
        "FILES_TRANSFERS_PER_WORKER": str(STALLED),
        "FILES_TRANSFERS_PER_USER": str(STALLED),
        "DB_POOL_SIZE": "5",
        "DB_MAX_OVERFLOW": "5",
        "RATE_LIMITS_ENABLED": "true",  # its counter tells when every upload is admitted
        "RATE_LIMIT_UPLOAD_PER_ACCOUNT": "1000/hour",
        "RATE_LIMIT_REGISTER_PER_IP": "1000/hour",
    }
    with serve(WEB_CONCURRENCY="2", **limits) as server:
        [headers] = members(server, 1)
        with _stalled_uploads(server, headers):
            _wait_until_admitted(database_url, STALLED)
            statuses = [_get_users(server) for _ in range(20)]
            idle = _idle_in_transaction(database_url)
            ping = requests.get(f"{server.base_url}/ping", timeout=10).status_code
    print(f"\n{STALLED} stalled uploads: GET /users {set(statuses)}, idle in transaction {idle}")
    assert statuses == [200] * 20
    assert idle == 0
    assert ping == 200


@contextmanager
def _stalled_uploads(server: Server, headers: dict[str, str]) -> Iterator[None]:
    declared = {**headers, "Content-Type": MULTIPART_TYPE, "Content-Length": "100000"}
    with ExitStack() as stack:
        for _ in range(STALLED):
            sock = stack.enter_context(
                raw_request(server, request_head("POST", "/files", declared))
            )
            sock.sendall(b"--upload-attack-boundary\r\n")
        yield


def _wait_until_admitted(database_url: str, count: int) -> None:
    """Until the upload counter holds `count`: each stalled upload has passed its checks and
    is reading its body (bounded wait, a synchronisation point, not a measurement)."""
    query = text(
        "SELECT coalesce(sum(hits), 0) FROM rate_limit_counters WHERE bucket LIKE 'upload:%'"
    )
    deadline = time.monotonic() + SYNC_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if _scalar(database_url, query) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} uploads admitted within {SYNC_TIMEOUT_SECONDS} s")


def _idle_in_transaction(database_url: str) -> int:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = 'users-service' AND state LIKE 'idle in transaction%'"
    )
    return _scalar(database_url, query)


def _scalar(database_url: str, query: object) -> int:
    engine = create_engine(normalize_database_url(database_url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]
    finally:
        engine.dispose()


def _get_users(server: Server) -> int:
    return requests.get(f"{server.base_url}/users", timeout=30).status_code


# --- a real full temporary space --------------------------------------------------------------

SPOOL_MIB = 1
FILLER_KIB = 700


def test_a_full_temporary_space_is_a_json_503_or_413(
    app: Flask, settings: Settings, database_url: str, tmp_path: Path
) -> None:
    """gunicorn with $TMPDIR on a 1 MiB tmpfs of its own (a user and mount namespace, no
    root needed), 700 KiB of it taken: a 600 KiB upload (spooled past werkzeug's 500 KiB)
    hits ENOSPC, a 503 with Retry-After; a 2 MiB upload could never fit, a 413; a small one
    (kept in memory) is stored."""
    assert settings.secret_key is not None
    env = server_env(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        SECRET_KEY=settings.secret_key.get_secret_value(),
        **{name.upper(): str(value) for name, value in FAST_HASHING.items()},
    )
    with _server_on_a_small_tmpfs(env, tmp_path) as server:
        [headers] = members(server, 1)
        replies = {
            size: _upload(server, headers, size) for size in (600 * 1024, 2 * 1024 * 1024, 1000)
        }
    full, too_large, small = replies.values()
    print(f"\nsmall tmpfs: {[(size, r.status_code) for size, r in replies.items()]}")
    assert (full.status_code, full.headers["Content-Type"]) == (503, "application/json")
    assert int(full.headers["Retry-After"]) > 0
    assert (too_large.status_code, too_large.json()["message"]) == (413, "File too large.")
    assert small.status_code == 201


def _upload(server: Server, headers: dict[str, str], size: int) -> requests.Response:
    return requests.post(
        f"{server.base_url}/files",
        data=multipart(b"s" * size),
        headers={**headers, "Content-Type": MULTIPART_TYPE},
        timeout=60,
    )


@contextmanager
def _server_on_a_small_tmpfs(env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    """gunicorn started by unshare, inside a tmpfs of SPOOL_MIB mounted on its $TMPDIR and
    FILLER_KIB of it already taken."""
    spool = tmp_path / "spool"
    spool.mkdir()
    gunicorn = shlex.join(
        [str(GUNICORN), "-c", "python:users_service.gunicorn_conf", "users_service.wsgi:app"]
    )
    script = (
        f"mount -t tmpfs -o size={SPOOL_MIB}m tmpfs {shlex.quote(str(spool))}"
        f" && head -c {FILLER_KIB}K /dev/zero > {shlex.quote(str(spool / 'filler'))}"
        f" && exec {gunicorn}"
    )
    log_path = tmp_path / "gunicorn-tmpfs.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
            env={**env, "TMPDIR": str(spool)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{env['PORT']}", process, log_path)
    try:
        wait_until_ok(process, f"{server.base_url}/ping", log_path, START_TIMEOUT_SECONDS)
        yield server
    finally:
        stop(process)


def test_downloads_nobody_reads_give_their_slots_back_at_the_send_deadline(
    serve: Serve,
) -> None:
    """A client that stops reading a download is cut at SEND_TIMEOUT_SECONDS, so it cannot
    hold the worker's transfer slots (and so /files) for longer than that."""
    settings = {
        "WEB_CONCURRENCY": "1",
        "FILES_TRANSFERS_PER_WORKER": "2",
        "FILES_TRANSFERS_PER_USER": "2",
        "SEND_TIMEOUT_SECONDS": "2",
    }
    with serve(**settings) as server:
        (headers,) = members(server, 1)
        content = secrets.token_bytes(4 * MIB)  # far more than the socket buffers hold
        stored = requests.post(
            f"{server.base_url}/files",
            files={"file": ("big.bin", content)},
            headers=headers,
            timeout=60,
        )
        assert stored.status_code == 201, stored.text
        file_id = stored.json()["data"]["id"]
        with stalled_downloads(server, [headers], file_id, 2) as lines:
            assert lines == [b"HTTP/1.1 200 OK"] * 2
            url = f"{server.base_url}/files/{file_id}"
            assert requests.get(url, headers=headers, timeout=30).status_code == 429  # both held
            served = first_download(url, headers, within=30)
        assert served.content == content


def first_download(url: str, headers: dict[str, str], within: float) -> requests.Response:
    """The first download that gets a slot, trying until `within` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        reply = requests.get(url, headers=headers, timeout=60)
        if reply.status_code == 200 or time.monotonic() > deadline:
            assert reply.status_code == 200, reply.text
            return reply
        time.sleep(0.2)
