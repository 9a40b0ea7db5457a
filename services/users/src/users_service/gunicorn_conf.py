"""gunicorn settings, all in one place: `gunicorn -c python:users_service.gunicorn_conf`.

- gevent workers: every connection gets a greenlet, and password hashing runs on native
  threads (security.offload), so /ping answers while logins hash.
- keep-alive longer than the ALB's 60 s idle timeout, so the ALB never reuses a
  connection the worker has just closed (which surfaces as sporadic 502s).
- a graceful timeout below the container's stop timeout, so a stopping task drains.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

from users_service.config import configure_logging, load_settings

_settings = load_settings()  # fail here, in the master, on a bad production configuration
# The application's own log lines (warnings, crashes) beside gunicorn's, in the workers too.
configure_logging()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
worker_class = "gevent"
worker_connections = _settings.worker_connections
keepalive = _settings.keepalive_seconds
graceful_timeout = _settings.graceful_timeout_seconds
timeout = 30
accesslog = "-"
errorlog = "-"
logger_class = "users_service.web.access_log.JsonAccessLogger"
proc_name = "users-service"
# No runtime control socket: it would be a writable path in $HOME, unwanted in containers.
control_socket_disable = True
_created_seed_file: list[Path] = []


def on_starting(server: Any) -> None:
    """One seed file per instance, created before the workers fork so all of them share it."""
    if "SEED_FILE" not in os.environ:
        fd, name = tempfile.mkstemp(prefix="users-seed-")
        os.close(fd)
        os.environ["SEED_FILE"] = name
        _created_seed_file.append(Path(name))


def post_fork(server: Any, worker: Any) -> None:
    # Make psycopg2 yield to the gevent loop while it waits on the network.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def on_exit(server: Any) -> None:
    for path in _created_seed_file:
        path.unlink(missing_ok=True)
