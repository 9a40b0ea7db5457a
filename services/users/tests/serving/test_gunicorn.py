"""The real gunicorn configuration, as processes: what only a multi-process server shows."""

import secrets
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from users_service.config import Settings

from services.users.tests.support.gunicorn_server import GUNICORN, Serve, Server, server_env
from services.users.tests.support.helpers import (
    PASSWORD,
    PRODUCTION_HASHING,
    PRODUCTION_MAIL,
    as_environment,
    bearer,
    register_body,
)
from services.users.tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.serving
PRODUCTION_HASHING_ENV = as_environment(PRODUCTION_HASHING)
# Production's mail settings, with a password that must not appear in the output either.
PRODUCTION_MAIL_ENV = as_environment(
    {**PRODUCTION_MAIL, "smtp_username": "relay-user", "smtp_password": "smtp-" + "y" * 40}
)

MAX_SEED_BATCHES = 20


def test_seed_is_the_same_in_every_worker_process(serve: Serve) -> None:
    """POST / on one worker; GET / from every worker sees it (shared by the instance)."""
    bodies: list[str] = []
    with serve(WEB_CONCURRENCY="3") as server:
        assert requests.post(f"{server.base_url}/", json={"num": 4242}, timeout=5).ok
        # Which worker accepts a connection is up to the kernel and gevent: read in bounded
        # batches until the access log shows that several processes answered.
        for _ in range(MAX_SEED_BATCHES):
            with ThreadPoolExecutor(12) as pool:
                bodies += pool.map(lambda _: _fresh_get(server, "/"), range(60))
            pids = _pids_serving(server, "/")
            if len(pids) >= 2:
                break
    print(
        f"\n{len(bodies)} reads of GET / served by {len(pids)} worker processes: "
        f"{sorted(set(bodies))}"
    )
    assert set(bodies) == {"4242"}
    assert len(pids) >= 2


def _pids_serving(server: Server, path: str) -> set[int]:
    time.sleep(0.1)  # let the access log reach the file
    return {e["pid"] for e in server.log_lines() if e["path"] == path and e["method"] == "GET"}


def _fresh_get(server: Server, path: str) -> str:
    # A new connection per request, so the kernel hands requests to different workers.
    reply = requests.get(f"{server.base_url}{path}", headers={"Connection": "close"}, timeout=5)
    return reply.text


def test_ping_stays_fast_while_logins_hash(serve: Serve) -> None:
    """With production argon2 parameters and every worker hashing, /ping still answers."""
    with serve(WEB_CONCURRENCY="2", **PRODUCTION_HASHING_ENV) as server:
        body = register_body(1)
        assert requests.post(f"{server.base_url}/auth/register", json=body, timeout=10).ok
        idle = _ping_latencies(server, 20)
        logins, loaded = _ping_while_logging_in(server, body["email"])
    print(
        f"\n/ping p50 idle {statistics.median(idle) * 1000:.1f} ms; while {logins} logins hashed: "
        f"p50 {statistics.median(loaded) * 1000:.1f} ms, max {max(loaded) * 1000:.1f} ms"
    )
    assert logins >= 20
    assert max(loaded) < 1.0  # a starved worker would hold /ping for the whole login queue


def _ping_latencies(server: Server, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        assert requests.get(f"{server.base_url}/ping", timeout=5).status_code == 200
        latencies.append(time.perf_counter() - start)
        time.sleep(0.02)
    return latencies


def _ping_while_logging_in(server: Server, email: str) -> tuple[int, list[float]]:
    stop = threading.Event()
    done: list[int] = []

    def hammer() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                reply = session.post(
                    f"{server.base_url}/auth/login",
                    json={"email": email, "password": PASSWORD},
                    timeout=30,
                )
                done.append(reply.status_code)

    threads = [threading.Thread(target=hammer) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # let the login queue build up
    try:
        latencies = _ping_latencies(server, 40)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(done) == {200}
    return len(done), latencies


@pytest.fixture
def postgres_proxy(database_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """The test database behind a TCP proxy that a test can cut (PostgreSQL only)."""
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.port or 5432)
    netloc = parts.netloc.replace(
        f"{parts.hostname}:{parts.port or 5432}", f"127.0.0.1:{proxy.port}"
    )
    yield proxy, urlunsplit(parts._replace(netloc=netloc))
    proxy.close()


@pytest.mark.postgres_only
def test_database_outage_gives_fast_503s_and_recovers(
    serve: Serve, postgres_proxy: tuple[TcpProxy, str]
) -> None:
    """Cut the database link: JSON 503s within seconds, /ping up; restore: back by itself."""
    proxy, proxied_url = postgres_proxy
    with serve(DATABASE_URL=proxied_url) as server:
        base = server.base_url
        assert requests.post(f"{base}/auth/register", json=register_body(7), timeout=5).ok
        proxy.cut()
        outage = [_timed(requests.get, f"{base}/users") for _ in range(5)]
        ping = requests.get(f"{base}/ping", timeout=5)
        ready = requests.get(f"{base}/ready", timeout=10)
        proxy.restore()
        recovery_seconds, users = _wait_for_users(base)
    slowest = max(seconds for seconds, _ in outage)
    print(
        f"\noutage: {len(outage)} requests, statuses {[r.status_code for _, r in outage]}, "
        f"slowest {slowest:.2f} s; recovered {recovery_seconds:.2f} s after restore"
    )
    for _, reply in outage:
        assert reply.status_code == 503
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.json()["status"] == "error"
    assert slowest < 5
    assert ping.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unavailable"}
    assert [u["email"] for u in users] == ["user7@example.com"]  # acknowledged write kept


def test_a_database_that_never_answers_gives_503s_within_the_connect_timeout(
    serve: Serve,
) -> None:
    """A peer that accepts TCP and then says nothing (what a vanished container's address or
    a stalled server looks like): gevent workers must give up at DB_CONNECT_TIMEOUT_SECONDS,
    not wait for TCP, and keep answering /ping meanwhile."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:  # never accepts
        url = f"postgresql://nobody:x@localhost:{silent.getsockname()[1]}/none"
        with (
            serve(DATABASE_URL=url, DB_CONNECT_TIMEOUT_SECONDS="1") as server,
            ThreadPoolExecutor(4) as pool,
        ):
            users = f"{server.base_url}/users"
            calls = [pool.submit(_timed, requests.get, users) for _ in range(4)]
            ping = _timed(requests.get, f"{server.base_url}/ping")
            outage = [call.result() for call in calls]
    print(f"\nsilent database: {[f'{s:.2f}' for s, _ in outage]} s; /ping {ping[0]:.2f} s")
    assert [reply.status_code for _, reply in outage] == [503] * 4
    assert max(seconds for seconds, _ in outage) < 3
    assert ping[1].status_code == 200
    assert ping[0] < 0.5


def _timed(call: Callable[..., requests.Response], url: str) -> tuple[float, requests.Response]:
    start = time.perf_counter()
    reply = call(url, timeout=15)
    return time.perf_counter() - start, reply


def _wait_for_users(base: str) -> tuple[float, list[dict[str, Any]]]:
    start = time.perf_counter()
    while time.perf_counter() - start < 15:
        reply = requests.get(f"{base}/users", timeout=10)
        if reply.status_code == 200:
            users: list[dict[str, Any]] = reply.json()["data"]["users"]
            return time.perf_counter() - start, users
        time.sleep(0.2)
    raise AssertionError("the service did not recover within 15 s of the database returning")


def test_access_log_is_one_json_object_per_request(serve: Serve) -> None:
    """method, path, status, client, duration, request id and instance on every line."""
    with serve(INSTANCE_ID="log-test") as server:
        requests.get(f"{server.base_url}/ping", headers={"X-Request-Id": "trace-me-42"}, timeout=5)
        requests.get(f"{server.base_url}/nowhere", timeout=5)
        time.sleep(0.2)
        entries = server.log_lines()
    traced = [e for e in entries if e["request_id"] == "trace-me-42"]
    assert len(traced) == 1
    assert traced[0] | {"duration_ms": 0} == {
        **traced[0],
        "method": "GET",
        "path": "/ping",
        "status": 200,
        "client": "127.0.0.1",
        "instance": "log-test",
        "duration_ms": 0,
    }
    assert any(e["path"] == "/nowhere" and e["status"] == 404 for e in entries)
    for entry in entries:
        expected = {"method", "path", "status", "client", "duration_ms", "request_id", "instance"}
        assert expected <= set(entry)


def test_uploads_stream_through_gunicorn_on_either_storage(
    serve: Serve, storage_overrides: dict[str, str]
) -> None:
    """Real workers: a 3 MiB file (three times MAX_BODY_BYTES) is accepted through a
    multi-process instance, listed, and streamed back byte for byte."""
    content = secrets.token_bytes(3 * 1024 * 1024)
    with serve(**{name.upper(): value for name, value in storage_overrides.items()}) as server:
        base = server.base_url
        registered = requests.post(f"{base}/auth/register", json=register_body(91), timeout=10)
        headers = bearer(registered.json()["auth_token"])
        files = {"file": ("big.bin", content, "application/octet-stream")}
        reply = requests.post(f"{base}/files", files=files, headers=headers, timeout=60)
        assert reply.status_code == 201, reply.text
        file_id = reply.json()["data"]["id"]
        listed = requests.get(f"{base}/files", headers=headers, timeout=10).json()
        assert [item["id"] for item in listed["data"]["files"]] == [file_id]
        with requests.get(f"{base}/files/{file_id}", headers=headers, stream=True, timeout=60) as r:
            assert r.status_code == 200
            assert r.headers["Content-Length"] == str(len(content))
            received = b"".join(r.iter_content(64 * 1024))
    assert received == content


def test_the_master_shares_the_libraries_but_not_the_app(tmp_path: Path) -> None:
    """gunicorn's master loads the big libraries, which its workers then share, but none of
    the service's modules that keep per-request state: those must be made in each worker
    once gevent has patched `threading`, or concurrent requests would share a session."""
    loaded = "import sys, users_service.gunicorn_conf; print(*sys.modules, sep='\\n')"
    env = server_env(DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [str(GUNICORN.with_name("python")), "-c", loaded],
        env=env,
        capture_output=True,
        timeout=30,
        check=True,
        text=True,
    )
    loaded_modules = set(result.stdout.splitlines())
    assert {"sqlalchemy.orm", "psycopg2", "argon2"} <= loaded_modules
    assert not loaded_modules & {"users_service.app", "users_service.models.database", "gevent"}


def test_workers_stop_without_a_traceback(serve: Serve) -> None:
    """What the master froze for its workers to share is freed while the worker can still
    clean up: stopping writes no error to the log."""
    with serve() as server:
        assert requests.get(f"{server.base_url}/users", timeout=10).status_code == 200
    log = server.log_path.read_text()
    assert log.count("Worker exiting") == 2
    assert "Traceback" not in log
    assert "Exception ignored" not in log


def test_a_stopping_worker_closes_idle_connections_and_serves_arriving_requests(
    serve: Serve,
) -> None:
    """SIGTERM: a keep-alive connection idle between requests is closed at once, rather than
    holding its worker for the graceful timeout; a request whose first bytes have arrived is
    served to the end. The master then exits well within that timeout."""
    with serve(GRACEFUL_TIMEOUT_SECONDS="120") as server:
        address = (urlsplit(server.base_url).hostname, urlsplit(server.base_url).port)
        idle = [socket.create_connection(address, timeout=30) for _ in range(4)]
        for connection in idle:  # one served request each, then kept open
            connection.sendall(b"GET /ping HTTP/1.1\r\nHost: test\r\n\r\n")
            assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        arriving = socket.create_connection(address, timeout=30)
        arriving.sendall(b"GET /ping HTTP/1.1\r\nHost: test\r\n")  # not yet the blank line
        time.sleep(0.5)  # the worker has read those bytes
        server.process.terminate()
        for connection in idle:
            assert connection.recv(4096) == b""  # closed by the worker, without a reply
        time.sleep(0.5)
        arriving.sendall(b"\r\n")
        reply = arriving.recv(4096)
        assert reply.startswith(b"HTTP/1.1 200")
        assert b"connection: close" in reply.lower()
        server.process.wait(timeout=60)
        for connection in [*idle, arriving]:
            connection.close()
    log = server.log_path.read_text()
    assert "graceful timeout" not in log
    assert log.count("Worker exiting") == 2


@pytest.mark.parametrize(
    ("algorithm", "missing"), [("RS256", "JWT_PRIVATE_KEYS"), ("HS256", "SECRET_KEY")]
)
def test_production_refuses_to_start_without_secrets(
    tmp_path: Path, algorithm: str, missing: str
) -> None:
    """No signing keys and no DATABASE_URL: the master exits at once, naming the problem."""
    env = server_env(APP_ENV="production", DATA_DIR=str(tmp_path), JWT_ALGORITHM=algorithm)
    env.pop("SECRET_KEY", None)
    env.pop("JWT_PRIVATE_KEYS", None)
    result = subprocess.run(
        [str(GUNICORN), "-c", "python:users_service.gunicorn_conf", "users_service.wsgi:app"],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    output = (result.stdout + result.stderr).decode()
    assert result.returncode != 0
    assert missing in output
    assert not list(tmp_path.iterdir())  # and no key generated in production


@pytest.mark.postgres_only  # production refuses SQLite
def test_production_does_not_log_its_secrets(
    serve: Serve, database_url: str, settings: Settings
) -> None:
    """A production start-up with real secrets: none appears in the server's output."""
    secret = "s3cr3t-" + "x" * 40
    with serve(
        APP_ENV="production", SECRET_KEY=secret, **PRODUCTION_HASHING_ENV, **PRODUCTION_MAIL_ENV
    ) as server:
        requests.get(f"{server.base_url}/users", timeout=5)
        requests.get(
            f"{server.base_url}/auth/status", headers={"Authorization": "Bearer x"}, timeout=5
        )
        output = server.log_path.read_text()
    assert "Listening at" in output
    assert secret not in output
    assert PRODUCTION_MAIL_ENV["SMTP_PASSWORD"] not in output
    assert (urlsplit(database_url).password or secret) not in output
    assert settings.jwt_private_keys is not None
    assert settings.jwt_private_keys.get_secret_value()[200:260] not in output
