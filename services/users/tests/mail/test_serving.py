"""The outbox in real gunicorn workers (gevent): a reply never waits for the mail, and a
stopping worker sends what it has queued before it exits."""

import time
from pathlib import Path

import pytest
import requests

from services.users.tests.support.gunicorn_server import Serve
from services.users.tests.support.helpers import as_environment
from services.users.tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.serving
REPOSITORY = Path(__file__).resolve().parents[4]
JOB_SECONDS = 2


def test_a_worker_replies_at_once_and_sends_its_queue_before_it_exits(
    serve: Serve, smtp_server: SmtpServer
) -> None:
    with serve(
        app="services.users.tests.support.mail_app:app",
        WEB_CONCURRENCY="1",
        PYTHONPATH=str(REPOSITORY),
        TEST_MAIL_JOB_SECONDS=str(JOB_SECONDS),
        **as_environment(smtp_server.settings()),
    ) as server:
        started = time.monotonic()
        reply = requests.post(
            f"{server.base_url}/test-mail", headers={"Connection": "close"}, timeout=10
        )
        assert time.monotonic() - started < JOB_SECONDS
        assert reply.json() == {"queued": True}
        assert smtp_server.inbox.received == []  # the job is still composing it
    # Leaving the block stopped gunicorn (SIGTERM): the worker drained its outbox first.
    assert [r.message["Subject"] for r in smtp_server.inbox.received] == ["queued"]
