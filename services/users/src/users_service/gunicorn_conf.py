"""gunicorn settings, all in one place: `gunicorn -c python:users_service.gunicorn_conf`.

- gevent workers: every connection gets a greenlet, and password hashing runs on native
  threads (auth.native_threads), so /ping answers while logins hash; every client has a
  deadline for its headers and its body (web.worker), so slow ones cannot hold the slots.
- keep-alive longer than the ALB's 60 s idle timeout, so the ALB never reuses a
  connection the worker has just closed (which surfaces as sporadic 502s).
- a graceful timeout below the container's stop timeout, so a stopping task drains.
"""

import gc
import importlib
import os
import tempfile
from pathlib import Path
from typing import Any

from users_service.auth.signing_key import resolve_token_keys
from users_service.config import configure_logging, load_settings

_settings = load_settings()  # fail here, in the master, on a bad production configuration
# The big libraries every worker needs, imported once, here: forked workers share their memory
# with the master (copy-on-write) rather than each loading a copy, and start sooner. Only
# libraries: the service's own modules create per-request state (the database sessions'
# registry) that must be made in each worker, after gevent has patched `threading`.
SHARED_LIBRARIES = ("argon2", "psycopg2", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql")
for _library in SHARED_LIBRARIES:
    importlib.import_module(_library)
# Unusable token keys fail here too; a development key is generated here, once, before fork.
resolve_token_keys(_settings)
# The application's own log lines (warnings, crashes) beside gunicorn's, in the workers too.
configure_logging()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency
worker_class = "users_service.web.worker.DeadlineGeventWorker"
worker_connections = _settings.worker_connections
keepalive = _settings.keepalive_seconds
graceful_timeout = _settings.graceful_timeout_seconds
timeout = 30
accesslog = "-"
errorlog = "-"
logger_class = "users_service.web.access_log.JsonAccessLogger"
proc_name = "users-service"
# Forwarded headers are believed only as TRUSTED_PROXY_* say (web.trusted_proxies): none of
# gunicorn's own, such as a SCRIPT_NAME header, from any peer.
forwarded_allow_ips = ""
# No runtime control socket: it would be a writable path in $HOME, unwanted in containers.
control_socket_disable = True
_created_seed_file: list[Path] = []
# How long an exiting worker keeps sending the mail it has queued (within the graceful time).
MAIL_DRAIN_SECONDS = 5.0


def on_starting(server: Any) -> None:
    """One seed file per instance, created before the workers fork so all of them share it."""
    if "SEED_FILE" not in os.environ:
        fd, name = tempfile.mkstemp(prefix="users-seed-")
        os.close(fd)
        os.environ["SEED_FILE"] = name
        _created_seed_file.append(Path(name))


def pre_fork(server: Any, worker: Any) -> None:
    """Keep the garbage collector off what the master has loaded: in a worker, collecting
    would write to every shared object and so copy the pages it shares."""
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    # Make psycopg2 yield to the gevent loop while it waits on the network.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def worker_exit(server: Any, worker: Any) -> None:
    """Send what the worker's outbox holds before the process ends (best effort: mail still
    queued after MAIL_DRAIN_SECONDS is lost, as it is when a worker is killed)."""
    from users_service.mail import EXTENSION_KEY

    app = getattr(worker, "wsgi", None)  # None in the master, which also calls this hook
    outbox = getattr(app, "extensions", {}).get(EXTENSION_KEY)
    if outbox is not None and not outbox.drain(MAIL_DRAIN_SECONDS):
        server.log.warning("worker exit: mail still queued after %g s is lost", MAIL_DRAIN_SECONDS)
    # What pre_fork froze would otherwise be freed only once the interpreter has torn gevent
    # down, and logging's clean-up would then fail noisily in every exiting worker.
    gc.unfreeze()
    gc.collect()


def on_exit(server: Any) -> None:
    for path in _created_seed_file:
        path.unlink(missing_ok=True)
