"""The outbox: requests never wait, delivery is retried a bounded number of times, a full
queue refuses, a failing job is dropped, jobs run in the app's context."""

import smtplib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select

from users_service.mail import Message, Outbox, current_outbox
from users_service.mail.backends import Backend, PermanentRefusalError
from users_service.models import User
from users_service.models.database import db

from services.users.tests.mail.conftest import DRAIN_SECONDS, MESSAGE, TOKEN

WAIT = 10


class RecordingBackend:
    """Sends nothing: keeps each message; fails the first `failures` sends; waits for
    `release` when it is given one."""

    name = "recording"

    def __init__(self, failures: int = 0, release: threading.Event | None = None) -> None:
        self.failures, self.release = failures, release
        self.calls = 0
        self.sent: list[Message] = []
        self.started = threading.Event()

    def send(self, message: Message) -> None:
        self.calls += 1
        self.started.set()
        if self.release is not None:
            assert self.release.wait(WAIT)
        if self.calls <= self.failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.sent.append(message)


def outbox_of(app: Flask, backend: Backend, **options: Any) -> tuple[Outbox, list[float]]:
    """An outbox on `backend` whose pauses are recorded, not slept."""
    pauses: list[float] = []
    values = {"limit": 10, "attempts": 3, **options}
    return Outbox(app, backend, sleep=pauses.append, **values), pauses


def message(n: int) -> Message:
    return Message(to=f"user{n}@example.org", subject=f"mail {n}", text="text", html="<p>html</p>")


def test_submit_returns_while_the_backend_blocks(make_app: Callable[..., Flask]) -> None:
    release = threading.Event()
    backend = RecordingBackend(release=release)
    outbox, _ = outbox_of(make_app(), backend)
    assert outbox.submit(lambda: message(1))
    assert backend.started.wait(WAIT)  # the first send is in progress, and blocked
    assert outbox.submit(lambda: message(2))  # returned without waiting for it
    assert not outbox.drain(0.05)
    release.set()
    assert outbox.drain(DRAIN_SECONDS)
    assert backend.sent == [message(1), message(2)]


def test_a_failing_send_is_retried_then_given_up_without_logging_the_mail(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    backend = RecordingBackend(failures=99)
    outbox, pauses = outbox_of(make_app(), backend, attempts=3)
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    assert backend.calls == 3
    assert pauses == [1.0, 2.0]
    assert backend.sent == []
    assert "(attempt 3 of 3): SMTPServerDisconnected" in caplog.text
    assert "given up after 3 attempts" in caplog.text
    for secret in (TOKEN, MESSAGE.subject, MESSAGE.to):
        assert secret not in caplog.text


class RefusingBackend:
    name = "refusing"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        raise PermanentRefusalError("SMTPDataError 550")


def test_a_mail_refused_for_good_is_not_retried(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    backend = RefusingBackend()
    outbox, pauses = outbox_of(make_app(), backend, attempts=3)
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    assert (backend.calls, pauses) == (1, [])
    assert "mail via refusing refused for good, not retried: SMTPDataError 550" in caplog.text
    for secret in (TOKEN, MESSAGE.subject, MESSAGE.to):
        assert secret not in caplog.text


def test_a_send_that_fails_then_succeeds_is_sent_once(make_app: Callable[..., Flask]) -> None:
    backend = RecordingBackend(failures=2)
    outbox, pauses = outbox_of(make_app(), backend, attempts=3)
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    assert (backend.calls, backend.sent, pauses) == (3, [MESSAGE], [1.0, 2.0])


def test_a_full_outbox_refuses_then_accepts_again(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    """The limit counts the mail being sent and the mail waiting."""
    release = threading.Event()
    backend = RecordingBackend(release=release)
    outbox, _ = outbox_of(make_app(), backend, limit=2)
    assert outbox.submit(lambda: message(1))
    assert backend.started.wait(WAIT)
    assert outbox.submit(lambda: message(2))
    assert not outbox.submit(lambda: message(3))
    assert "mail outbox full (2)" in caplog.text
    release.set()
    assert outbox.drain(DRAIN_SECONDS)
    assert outbox.submit(lambda: message(4))
    assert outbox.drain(DRAIN_SECONDS)
    assert backend.sent == [message(1), message(2), message(4)]


def test_a_job_that_raises_is_dropped_and_the_next_one_runs(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    backend = RecordingBackend()
    outbox, _ = outbox_of(make_app(), backend)

    def failing_job() -> Message:
        raise LookupError(f"no user for {TOKEN}")

    assert outbox.submit(failing_job)
    assert outbox.submit(lambda: None)  # nothing to send
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    assert backend.sent == [MESSAGE]
    assert "mail job raised LookupError: dropped" in caplog.text
    assert TOKEN not in caplog.text


def test_jobs_run_in_the_app_context_and_may_query_the_database(
    app: Flask, make_user: Callable[..., User]
) -> None:
    user = make_user(email="ada@example.org")
    backend = RecordingBackend()
    outbox, _ = outbox_of(app, backend)
    seen: list[Flask] = []

    def job() -> Message:
        seen.append(current_app._get_current_object())  # type: ignore[attr-defined]
        found = db.session.scalar(select(User).where(User.email == user.email))
        assert found is not None
        count = db.session.scalar(select(func.count()).select_from(User))
        return Message(to=found.email, subject=f"{count} user", text="t", html="<p>t</p>")

    assert outbox.submit(job)
    assert outbox.drain(DRAIN_SECONDS)
    assert seen == [app]
    assert [(sent.to, sent.subject) for sent in backend.sent] == [("ada@example.org", "1 user")]


def test_each_app_has_an_outbox_with_its_settings(make_app: Callable[..., Flask]) -> None:
    first, second = make_app(mail_queue_max=7, mail_send_attempts=5), make_app()
    with first.app_context():
        outbox = current_outbox()
    with second.app_context():
        assert current_outbox() is not outbox
    assert (outbox.limit, outbox.attempts, outbox.app) == (7, 5, first)


def test_the_sender_thread_starts_on_the_first_submit(make_app: Callable[..., Flask]) -> None:
    """Not when the app is built (in gunicorn's master it could not serve the workers)."""
    before = {thread.ident for thread in threading.enumerate()}
    backend = RecordingBackend()
    outbox, _ = outbox_of(make_app(), backend)
    assert {thread.ident for thread in threading.enumerate()} == before
    assert outbox.submit(lambda: MESSAGE)
    assert outbox.drain(DRAIN_SECONDS)
    started = [t for t in threading.enumerate() if t.ident not in before]
    assert [(t.name, t.daemon) for t in started] == [("mail-outbox", True)]
