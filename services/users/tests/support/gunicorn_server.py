"""Start the real gunicorn configuration as a subprocess on 127.0.0.1, for serving tests."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from services.users.tests.support.helpers import free_port
from services.users.tests.support.security_events import json_lines

GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT_SECONDS = 20
SERVICE_APP = "users_service.wsgi:app"


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path  # stdout, and stderr unless `stderr_path` names its own file
    stderr_path: Path | None = None

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON access-log entries written so far (not the security events beside them)."""
        return [entry for entry in json_lines(self.log_path.read_text()) if "event" not in entry]


# The `serve` fixture: `with serve(**env_overrides) as server: ...`
Serve = Callable[..., AbstractContextManager[Server]]


def server_env(**overrides: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SEED_"))}
    # Load tests log in faster than the production rate limits allow one address to.
    defaults = {"HOST": "127.0.0.1", "PORT": str(free_port()), "RATE_LIMITS_ENABLED": "false"}
    return {**inherited, **defaults, **overrides}


@contextmanager
def running_gunicorn(
    env: dict[str, str],
    log_path: Path,
    stderr_path: Path | None = None,
    app: str = SERVICE_APP,
) -> Iterator[Server]:
    """gunicorn with the service's configuration, serving `app` (the service by default);
    stderr goes to the log, or to `stderr_path` when given."""
    with ExitStack() as files:
        log = files.enter_context(log_path.open("wb"))
        errors = files.enter_context(stderr_path.open("wb")) if stderr_path else subprocess.STDOUT
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "python:users_service.gunicorn_conf", app],
            env=env,
            stdout=log,
            stderr=errors,
        )
    server = Server(f"http://127.0.0.1:{env['PORT']}", process, log_path, stderr_path)
    try:
        _wait_until_up(server)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: Server) -> None:
    wait_until_ok(server.process, f"{server.base_url}/ping", server.log_path, START_TIMEOUT_SECONDS)


def wait_until_ok(
    process: subprocess.Popen[bytes], url: str, log_path: Path, timeout_seconds: float
) -> None:
    """Poll `url` until it answers 200; fail with the process's log if it exits or times out."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited:\n{log_path.read_text()}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still booting
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200:\n{log_path.read_text()}")
