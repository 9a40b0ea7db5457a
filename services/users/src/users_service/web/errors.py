"""The one JSON error shape. Views raise ApiError or abort(); everything leaves through here.

No status the service can return is HTML: routing errors, oversized bodies, database
outages and crashes all answer with {"status": ..., "message": ...}.
"""

import json
import logging
from typing import Any

import psycopg2
from flask import Flask, Response, g
from gunicorn.http import errors as http_errors
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from users_service.models.fair_pool import PoolBusyError

log = logging.getLogger(__name__)

# Failures that mean "the database cannot be reached right now", not "the code is wrong".
# psycopg2's own: SQLAlchemy does not wrap what fails while it sets a connection's isolation
# level on checkout, where a connection the database has dropped is first used.
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)
# What gunicorn raises while the application reads a body the client malformed or cut short.
BODY_UNREADABLE = (
    http_errors.InvalidChunkSize,
    http_errors.ChunkMissingTerminator,
    http_errors.InvalidChunkExtension,
    http_errors.NoMoreData,
)
RETRY_AFTER_SECONDS = "5"
INVALID_PAYLOAD = "Invalid payload."
CRASH_MESSAGE = "Internal server error."


def unavailable_message(what: str) -> str:
    return f"Service unavailable: {what} cannot be reached. Try again shortly."


DATABASE_DOWN_MESSAGE = unavailable_message("the database")
BUSY_MESSAGE = "Service busy: too many requests wait for the database. Try again shortly."
BUSY_RETRY_AFTER_SECONDS = "1"
STORAGE_DOWN_MESSAGE = unavailable_message("the file storage")


class ApiError(Exception):
    """An expected refusal: code, contract message, reply headers, extra keys for the body."""

    def __init__(
        self,
        code: int,
        message: str,
        status: str = "error",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.extra = code, message, status, extra
        self.headers = headers or {}


def json_response(body: str, code: int) -> Response:
    """Every JSON reply's body as it goes out: one line (the JSON is written compact)."""
    return Response(body + "\n", status=code, mimetype="application/json")


def json_error(
    code: int, message: str, status: str = "error", headers: Any = None, **extra: Any
) -> Response:
    """Written as the replies are (web.wire.reply): compact, `status` first, one line."""
    body = json.dumps({"status": status, "message": message, **extra}, separators=(",", ":"))
    response = json_response(body, code)
    if headers:
        response.headers.extend(headers)
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for error_class in BODY_UNREADABLE:
        app.register_error_handler(error_class, _body_unreadable)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _database_unavailable)
    app.register_error_handler(PoolBusyError, _busy)
    app.register_error_handler(Exception, _crash)


def _api_error(error: ApiError) -> Response:
    return json_error(error.code, error.message, error.status, error.headers, **error.extra)


def _http_error(error: HTTPException) -> Response:
    if error.code is None or error.code >= 500:
        return _crash(error)
    # Keep headers such as Allow (405); drop Werkzeug's HTML content type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return json_error(error.code, error.description or error.name, headers=headers)


def _body_unreadable(error: Exception) -> Response:
    problem = {"field": "", "message": "The body could not be read.", "type": "body"}
    # The stream is out of step with the request: nothing after it can be trusted.
    return json_error(400, INVALID_PAYLOAD, headers={"Connection": "close"}, errors=[problem])


def _database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", type(error).__name__)
    return unavailable(DATABASE_DOWN_MESSAGE)


def _busy(error: PoolBusyError) -> Response:
    """Shed load early: the client learns at once, not after the pool's timeout."""
    return json_error(503, BUSY_MESSAGE, headers={"Retry-After": BUSY_RETRY_AFTER_SECONDS})


def unavailable(message: str) -> Response:
    """A 503 for a backing service that cannot be reached: the client may retry shortly."""
    return json_error(
        503,
        message,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _crash(error: Exception) -> Response:
    log.error("unhandled error in request %s", g.get("request_id"), exc_info=error)
    return json_error(500, CRASH_MESSAGE)
