"""Replies and headers that follow from how a view is declared, built from the service's own
literals: a new guard message or error text shows up in the document by itself."""

from typing import Any

from users_service.auth import guards
from users_service.meta.openapi.operation import OperationDoc, ReplyDoc
from users_service.web.errors import (
    BUSY_MESSAGE,
    CRASH_MESSAGE,
    DATABASE_DOWN_MESSAGE,
    INVALID_PAYLOAD,
    STORAGE_DOWN_MESSAGE,
)
from users_service.web.pagination import INVALID_QUERY
from users_service.web.request_context import INSTANCE_HEADER, REQUEST_ID_HEADER
from users_service.web.wire import ErrorReply, InvalidReply

RETRY_AFTER = "Retry-After"
CACHE_CONTROL = "Cache-Control"
BEARER = "bearerAuth"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `auth_token` from /auth/register or /auth/login.",
    }
}
HEADERS: dict[str, dict[str, Any]] = {
    REQUEST_ID_HEADER: {
        "description": "The request's id: the client's X-Request-Id or X-Amzn-Trace-Id if "
        "safe, else generated. Ties a reply to its log lines.",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    INSTANCE_HEADER: {
        "description": "Which instance answered (the ECS task id on ECS).",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
    RETRY_AFTER: {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    CACHE_CONTROL: {
        "description": "How long shared caches and clients may keep this reply.",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    },
}
EVERY_REPLY_HEADERS = (REQUEST_ID_HEADER, INSTANCE_HEADER)


def invalid(message: str) -> ReplyDoc:
    return ReplyDoc(
        "Invalid input; `errors` says what, field by field.", InvalidReply, messages=(message,)
    )


def error_reply(description: str, *messages: str, headers: tuple[str, ...] = ()) -> ReplyDoc:
    """An error reply in the one envelope, optionally with its literal messages."""
    return ReplyDoc(description, ErrorReply, messages=messages, headers=headers)


def retry_reply(description: str, *messages: str) -> ReplyDoc:
    """An error reply that tells when to try again (`Retry-After`)."""
    return error_reply(description, *messages, headers=(RETRY_AFTER,))


INVALID_BODY = invalid(INVALID_PAYLOAD)
INVALID_QUERY_REPLY = invalid(INVALID_QUERY)
TOO_LARGE = error_reply("The body is larger than MAX_BODY_BYTES.")
UNSUPPORTED_MEDIA_TYPE = error_reply("The body's content type is not accepted here.")
RATE_LIMITED = retry_reply("Too many requests: wait `Retry-After` seconds.")
DATABASE_DOWN = retry_reply(
    "The database cannot be reached right now, or too many requests already wait for it.",
    DATABASE_DOWN_MESSAGE,
    BUSY_MESSAGE,
)
STORAGE_DOWN = retry_reply(
    "The file storage (S3) cannot be reached right now.", STORAGE_DOWN_MESSAGE
)
CRASH = error_reply("An unexpected failure; details are in the log only.", CRASH_MESSAGE)
NO_TOKEN = error_reply("No Authorization header.", guards.NO_TOKEN)
REFUSED_CREDENTIALS = (
    "The token is malformed, not a bearer token, tampered with, expired or revoked, "
    "or its user is gone or inactive."
)
BAD_TOKEN = error_reply(
    REFUSED_CREDENTIALS, guards.EXPIRED_TOKEN, guards.INVALID_TOKEN, guards.UNKNOWN_USER
)
BAD_TOKEN_OR_NOT_ADMIN = error_reply(
    f"{REFUSED_CREDENTIALS} Or the user is not an admin.",
    *BAD_TOKEN.messages,
    guards.NOT_ADMIN,
)


def implied_replies(doc: OperationDoc, guard: str | None) -> list[tuple[int, ReplyDoc]]:
    """The replies a view gives because of how it is declared, not because of what it does."""
    replies: list[tuple[int, ReplyDoc]] = []
    if doc.body is not None:
        replies += [(400, INVALID_BODY), (413, TOO_LARGE)]
    if doc.query is not None:
        replies.append((400, INVALID_QUERY_REPLY))
    if guard is not None:
        replies += [(401, BAD_TOKEN_OR_NOT_ADMIN if guard == "admin" else BAD_TOKEN)]
        replies.append((403, NO_TOKEN))
    if doc.database:
        replies.append((503, DATABASE_DOWN))
    replies.append((500, CRASH))
    return replies
