"""The security event log's line: every key, JSON on one line of stdout, the request's and
the instance's ids, and nothing through the root logger."""

import json
import logging
import time

import pytest
from flask import Flask, abort, g

from users_service.web.security_log import Event, security_event

from services.users.tests.support.security_events import KEYS, security_events, without_time

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # the access log's


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_events_and_their_names() -> None:
    assert {event.name: str(event) for event in Event} == {
        "LOGIN_SUCCEEDED": "login.succeeded",
        "LOGIN_FAILED": "login.failed",
        "REFRESH_REUSED": "refresh.reused",
        "LOGOUT": "logout",
        "SESSION_ENDED": "session.ended",
        "SESSIONS_ENDED": "sessions.ended",
        "PASSWORD_CHANGED": "password.changed",
        "ACCOUNT_UPDATED": "account.updated",
        "ACCOUNT_DELETED": "account.deleted",
        "PASSWORD_RESET_REQUESTED": "password_reset.requested",
        "PASSWORD_RESET_COMPLETED": "password_reset.completed",
        "EMAIL_VERIFIED": "email.verified",
        "RATE_LIMITED": "rate.limited",
    }


def test_a_line_in_a_request_names_every_key(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    """One JSON object on one line of stdout, its keys in order, nothing on stderr."""
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.5"}):
        g.request_id = "req-7"
        security_event(Event.LOGIN_FAILED, 7)
    out, err = capsys.readouterr()
    assert (out.count("\n"), out.endswith("\n"), err) == (1, True, "")
    entry = json.loads(out)
    assert list(entry) == KEYS
    assert without_time([entry]) == [
        {
            "event": "login.failed",
            "user_id": 7,
            "client": "203.0.113.5",
            "request_id": "req-7",
            "instance": "test-instance",
        }
    ]
    logged = time.mktime(time.strptime(entry["time"], TIME_FORMAT))
    assert abs(logged - time.time()) < 5


def test_by_is_written_only_when_given(app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    with app.test_request_context("/"):
        security_event(Event.ACCOUNT_DELETED, 12, by=1)
        security_event(Event.ACCOUNT_DELETED, 12)
    by_admin, by_owner = security_events(capsys.readouterr().out)
    assert (by_admin["by"], list(by_admin)) == (1, [*KEYS, "by"])
    assert list(by_owner) == KEYS


def test_the_line_stays_one_line_whatever_the_client_address(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": 'a"\nb'}):
        security_event(Event.RATE_LIMITED)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out)["client"] == 'a"\nb'


def test_outside_a_request_the_request_fields_are_null(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a command writes: no client and no request; the instance once an app exists."""
    security_event(Event.SESSIONS_ENDED, 3)
    with app.app_context():
        security_event(Event.SESSIONS_ENDED, 3)
    no_app, in_app = security_events(capsys.readouterr().out)
    nulls = {"client": None, "request_id": None}
    assert no_app | nulls | {"instance": None} == no_app
    assert in_app | nulls | {"instance": "test-instance"} == in_app


def test_nothing_reaches_the_root_logger(capsys: pytest.CaptureFixture[str]) -> None:
    """gunicorn's error log hangs off the root logger: an event there would be repeated on
    stderr in another format. (pytest attaches its own capture to every logger, so a handler
    of the test's own listens at the root.)"""
    root = logging.getLogger()
    heard = RecordingHandler()
    root.addHandler(heard)
    try:
        security_event(Event.LOGOUT, 5)
        logging.getLogger("users_service.elsewhere").warning("a line that does propagate")
    finally:
        root.removeHandler(heard)
    assert len(security_events(capsys.readouterr().out)) == 1
    assert [record.name for record in heard.records] == ["users_service.elsewhere"]


def test_every_429_reply_is_logged_once_and_nothing_else(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whichever limit refused: here a view of its own that answers 429."""
    app.add_url_rule("/refused", "refused", lambda: abort(429))
    client = app.test_client()
    assert client.get("/ping").status_code == 200
    assert client.get("/refused", headers={"X-Request-Id": "too-many"}).status_code == 429
    assert without_time(security_events(capsys.readouterr().out)) == [
        {
            "event": "rate.limited",
            "user_id": None,
            "client": "127.0.0.1",
            "request_id": "too-many",
            "instance": "test-instance",
        }
    ]
