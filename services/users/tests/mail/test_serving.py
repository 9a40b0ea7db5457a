"""The outbox in real gunicorn workers (gevent): a reply never waits for the mail, and a
stopping worker sends what it has queued before it exits."""

import time
from pathlib import Path

import pytest
import requests

from users_service.config import Settings

from services.users.tests.support.gunicorn_server import running_gunicorn, server_env
from services.users.tests.support.helpers import FAST_HASHING, as_environment
from services.users.tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.serving
REPOSITORY = Path(__file__).resolve().parents[4]
JOB_SECONDS = 2


def test_a_worker_replies_at_once_and_sends_its_queue_before_it_exits(
    settings: Settings, database_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    assert settings.jwt_private_keys is not None
    env = server_env(
        APP_ENV="testing",
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path),
        JWT_PRIVATE_KEYS=settings.jwt_private_keys.get_secret_value(),
        WEB_CONCURRENCY="1",
        PYTHONPATH=str(REPOSITORY),
        TEST_MAIL_JOB_SECONDS=str(JOB_SECONDS),
        **as_environment({**FAST_HASHING, **smtp_server.settings()}),
    )
    app = "services.users.tests.support.mail_app:app"
    with running_gunicorn(env, tmp_path / "gunicorn.log", app=app) as server:
        started = time.monotonic()
        reply = requests.post(
            f"{server.base_url}/test-mail", headers={"Connection": "close"}, timeout=10
        )
        assert time.monotonic() - started < JOB_SECONDS
        assert reply.json() == {"queued": True}
        assert smtp_server.inbox.received == []  # the job is still composing it
    # Leaving the block stopped gunicorn (SIGTERM): the worker drained its outbox first.
    assert [r.message["Subject"] for r in smtp_server.inbox.received] == ["queued"]
