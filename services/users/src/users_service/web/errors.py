"""The one JSON error shape. Views raise ApiError or abort(); everything leaves through here.

No status the service can return is HTML: routing errors, oversized bodies, database
outages and crashes all answer with {"status": ..., "message": ...}.
"""

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Failures that mean "the database cannot be reached right now", not "the code is wrong".
DATABASE_UNAVAILABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
RETRY_AFTER_SECONDS = "5"
CRASH_MESSAGE = "Internal server error."


def unavailable_message(what: str) -> str:
    return f"Service unavailable: {what} cannot be reached. Try again shortly."


DATABASE_DOWN_MESSAGE = unavailable_message("the database")
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


def json_error(
    code: int, message: str, status: str = "error", headers: Any = None, **extra: Any
) -> Response:
    response = jsonify(status=status, message=message, **extra)
    response.status_code = code
    if headers:
        response.headers.extend(headers)
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _database_unavailable)
    app.register_error_handler(Exception, _crash)


def _api_error(error: ApiError) -> Response:
    return json_error(error.code, error.message, error.status, error.headers, **error.extra)


def _http_error(error: HTTPException) -> Response:
    if error.code is None or error.code >= 500:
        return _crash(error)
    # Keep headers such as Allow (405); drop Werkzeug's HTML content type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return json_error(error.code, error.description or error.name, headers=headers)


def _database_unavailable(error: Exception) -> Response:
    log.warning("database unavailable: %s", type(error).__name__)
    return unavailable(DATABASE_DOWN_MESSAGE)


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
