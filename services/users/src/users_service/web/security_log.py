"""The security event log: one JSON object per line on stdout, beside the access log.

Each line says what happened to which account, from which client, in which request and on
which instance; never a password, a token or an email (an unknown account's email is what
a guesser typed, and would make the log a list of them).
"""

import json
import logging
import sys
import time
from enum import StrEnum

from flask import Flask, Response, g, has_request_context

from users_service.web.request_context import client_address, current_instance_id

LOGGER_NAME = "users_service.security"


class Event(StrEnum):
    """What happened: the line's `event`. Names operators filter on; keep them stable."""

    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    REFRESH_REUSED = "refresh.reused"
    LOGOUT = "logout"
    SESSION_ENDED = "session.ended"
    SESSIONS_ENDED = "sessions.ended"  # all of an account's sessions
    PASSWORD_CHANGED = "password.changed"  # noqa: S105 - an event name, not a password
    ACCOUNT_UPDATED = "account.updated"
    ACCOUNT_DELETED = "account.deleted"
    PASSWORD_RESET_REQUESTED = "password_reset.requested"  # noqa: S105 - an event name
    PASSWORD_RESET_COMPLETED = "password_reset.completed"  # noqa: S105 - an event name
    EMAIL_VERIFIED = "email.verified"
    RATE_LIMITED = "rate.limited"


class StdoutHandler(logging.Handler):
    """Writes to sys.stdout as it is when the event happens, not as it was at import, and
    flushes every line: a container's stdout is a pipe, which Python would buffer."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


log = logging.getLogger(LOGGER_NAME)
log.setLevel(logging.INFO)
log.addHandler(StdoutHandler())
# Not through the root logger: gunicorn's error log (stderr) would repeat it in its own format.
log.propagate = False


def security_event(event: Event, user_id: int | None = None, *, by: int | None = None) -> None:
    """Log `event` about the account `user_id`; `by` is the acting admin's id when an admin
    acts on another account. Outside a request, the client and request id are null (and
    the instance, outside an app)."""
    entry: dict[str, str | int | None] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),  # as the access log's
        "event": event.value,
        "user_id": user_id,
        **_origin(),
    }
    if by is not None:
        entry["by"] = by
    log.info(json.dumps(entry))


def _origin() -> dict[str, str | None]:
    requested = has_request_context()
    return {
        "client": client_address() if requested else None,
        "request_id": g.get("request_id") if requested else None,
        "instance": current_instance_id(),
    }


def register_security_log(app: Flask) -> None:
    """Every 429 is logged, whichever limit refused it (the request budgets, login's failure
    budgets, an account's transfer slots)."""

    @app.after_request
    def _log_refusal(response: Response) -> Response:
        if response.status_code == 429:
            security_event(Event.RATE_LIMITED)
        return response
