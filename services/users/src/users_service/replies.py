"""The wire format of replies: pydantic models that both shape what is sent and document it.

Views build these models and `send` them, so /openapi.json (generated from the same classes)
cannot drift from the bodies. `extra="forbid"` makes the documented schemas closed: a key
added to a reply without adding it here fails the schema-conformance fuzz tests.
"""

from functools import cache
from typing import Any, Literal

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict, Field, create_model
from werkzeug.http import http_date

from users_service.models import StoredFile, User

HTTP_DATE_EXAMPLE = "Sat, 21 Nov 2026 06:53:34 GMT"


class Reply(BaseModel):
    # Fields with defaults are always sent, so they are required in the documented schema.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Message(Reply):
    """A success with a human-readable message."""

    status: Literal["success"] = "success"
    message: str


class TokenReply(Message):
    """A success that starts or renews a session: an access token and a refresh token."""

    auth_token: str = Field(description="A JWT to send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(
        description="Opaque and single use: POST it to /auth/refresh for a new pair."
    )


class SeedReply(Message):
    """The seed value this instance now holds."""

    num: int


class Checks(Reply):
    """What readiness checked."""

    database: Literal["ok", "unavailable"]


class ReadyReply(Message):
    """Ready to serve."""

    checks: Checks


class UserSummary(Reply):
    """A user as anyone may see it."""

    id: int
    username: str
    email: str
    created_at: str = Field(description="An HTTP-date.", examples=[HTTP_DATE_EXAMPLE])

    @classmethod
    def of(cls, user: User) -> "UserSummary":
        return cls(
            id=user.id,
            username=user.username,
            email=user.email,
            created_at=http_date(user.created_at),
        )


class UserStatus(UserSummary):
    """A user as the owner of the token sees it."""

    active: bool
    admin: bool

    @classmethod
    def of(cls, user: User) -> "UserStatus":
        return cls(**UserSummary.of(user).model_dump(), active=user.active, admin=user.admin)


class UserReply(Reply):
    """One user."""

    status: Literal["success"] = "success"
    data: UserSummary


class StatusReply(Reply):
    """The account a token belongs to."""

    status: Literal["success"] = "success"
    data: UserStatus


class Uploader(Reply):
    """Who uploaded a file."""

    id: int
    username: str


class FileSummary(Reply):
    """A stored file's metadata."""

    id: int
    name: str = Field(description="The uploaded file name, made safe for display.")
    size: int = Field(description="In bytes.")
    content_type: str
    uploader: Uploader
    created_at: str = Field(description="An HTTP-date.", examples=[HTTP_DATE_EXAMPLE])

    @classmethod
    def of(cls, record: StoredFile) -> "FileSummary":
        return cls(
            id=record.id,
            name=record.name,
            size=record.size,
            content_type=record.content_type,
            uploader=Uploader(id=record.uploader.id, username=record.uploader.username),
            created_at=http_date(record.created_at),
        )


class FileReply(Message):
    """A stored file."""

    data: FileSummary


class Problem(Reply):
    """One thing wrong with a request, without the submitted value."""

    field: str = Field(description="Dotted path of the field, or the query parameter's name.")
    message: str
    type: str


class ErrorReply(Reply):
    """Every error: `status` is `error`, or `fail` where the reference said so."""

    status: Literal["error", "fail"]
    message: str


class InvalidReply(ErrorReply):
    """A request that failed validation, field by field."""

    errors: list[Problem]


class NotReadyReply(ErrorReply):
    """Not ready to serve, and why."""

    checks: Checks


@cache
def page_of(key: str, item: type[BaseModel]) -> type[Reply]:
    """The one list envelope: `{status, data: {<key>: [item...], next_cursor, limit}}`."""
    name = key.title().replace("_", "")
    page_fields: dict[str, Any] = {
        key: (list[item], ...),  # type: ignore[valid-type]
        "next_cursor": (str | None, Field(description="`?cursor=` for the next page, or null.")),
        "limit": (int, ...),
    }
    page = create_model(f"{name}Page", __base__=Reply, __doc__=f"Some {key}.", **page_fields)
    reply_fields: dict[str, Any] = {"status": (Literal["success"], "success"), "data": (page, ...)}
    return create_model(
        f"{name}PageReply",
        __base__=Reply,
        __doc__=f"A page of {key}, newest first.",
        **reply_fields,
    )


def send(reply: Reply, code: int = 200) -> tuple[Response, int]:
    """The JSON reply for a reply model, exactly as the document describes it."""
    return jsonify(reply.model_dump(mode="json")), code
