"""gunicorn processes: start with the service's own configuration, time the first answer,
measure the memory of the process tree, and stop everything by PID."""

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

import users_service
from bench.proctree import process_tree
from users_service.auth import rsa_keys
from users_service.config import Settings

# `make bench` serves from a virtualenv holding the runtime lock file only: development
# packages would change what the workers import (PyJWT loads `cryptography` when present),
# and so their memory and start-up time.
SERVICE_BIN = Path(os.environ.get("BENCH_SERVICE_BIN") or Path(sys.executable).parent)
GUNICORN = SERVICE_BIN / "gunicorn"
CONFIG = "python:users_service.gunicorn_conf"
SERVICE_APP = "users_service.wsgi:app"
CEILING_APP = "bench.hello_wsgi:app"
FLASK_LIMIT_APP = "bench.flask_ping:app"
DATABASE_LIMIT_APP = "bench.db_limit:app"
START_TIMEOUT_S = 30
# Above gunicorn's graceful timeout (GRACEFUL_TIMEOUT_SECONDS at its default): a master that
# drains for the whole of it still exits on its own, rather than being killed.
STOP_TIMEOUT_S = Settings.model_fields["graceful_timeout_seconds"].default + 10
POLL_INTERVAL_S = 0.005


@dataclass
class Server:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    started_after_s: float  # from spawning the master to the first 200 from /ping
    log_path: Path  # gunicorn's output, the access log included


def production_env(database_url: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a production deployment: every setting at its default except the
    secrets, with the caller's overrides (BENCH_ENV) last."""
    settings_vars = {name.upper() for name in Settings.model_fields}
    inherited = {k: v for k, v in os.environ.items() if k not in settings_vars}
    return {
        **inherited,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(36),  # 48 characters
        "JWT_PRIVATE_KEYS": rsa_keys.generate_pem(),  # tokens are RS256, as deployed
        "DATABASE_URL": database_url,
        # Production refuses to log mail instead of sending it; the benchmark sends none.
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "MAIL_FROM": "no-reply@example.com",
        "PUBLIC_APP_URL": "https://app.example.com",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),  # for the bench.* apps
        **overrides,
    }


@contextmanager
def running(app: str, env: Mapping[str, str], log_path: Path) -> Iterator[Server]:
    server = start(app, env, log_path)
    try:
        yield server
    finally:
        stop(server.process)


def start(app: str, env: Mapping[str, str], log_path: Path) -> Server:
    """Spawn gunicorn on a free loopback port; return once /ping answered 200."""
    port = free_port()
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    with log_path.open("ab") as log:
        began = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn
            [str(GUNICORN), "-c", CONFIG, app], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_ping(port, process, log_path)
    except BaseException:
        stop(process)
        raise
    started_after_s = time.perf_counter() - began
    return Server(f"http://127.0.0.1:{port}", port, process, started_after_s, log_path)


def compile_bytecode() -> None:
    """Write the bytecode of the service and of the bench's apps, as the image's install does:
    a start then reads it rather than compiling every module (which it would do each time
    where PYTHONDONTWRITEBYTECODE is set, and so report a slower start than a deployment's)."""
    sources = [Path(users_service.__file__).parent, Path(__file__).parent]
    compile_all = [str(SERVICE_BIN / "python"), "-m", "compileall", "-q", *map(str, sources)]
    subprocess.run(compile_all, check=True)  # noqa: S603 - our own venv's Python


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the master (it stops its workers), then SIGKILL whatever is left of its tree."""
    workers = process_tree(process.pid)[1:]
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for worker in workers:
        # A worker that outlived its master; psutil refuses a reused PID (another process).
        with contextlib.suppress(psutil.NoSuchProcess):
            worker.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_ping(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.perf_counter() + START_TIMEOUT_S
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        if _ping_status(port) == 200:
            return
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"gunicorn did not answer /ping:\n{log_path.read_text()[-3000:]}")


def _ping_status(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_TIMEOUT_S)
    try:
        connection.request("GET", "/ping")
        return connection.getresponse().status
    except OSError:  # not listening yet
        return None
    finally:
        connection.close()
