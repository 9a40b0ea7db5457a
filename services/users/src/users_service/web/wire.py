"""The wire format's common parts: bases for request and reply models, the error and page
envelopes, and the two ends of a view: `parse_body` reads a JSON body into a model, `reply`
sends a reply model.

Each part of the service declares its own models in its `schemas.py` on these bases. Reply
models both shape what is sent and document it in /openapi.json, so the two cannot drift;
`extra="forbid"` closes the documented schemas, so a key added to a reply without adding it
to its model fails the schema-conformance fuzz tests. Request models are strict (a number is
not a string) and never echo submitted values back, so a password cannot leak into an error.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, ValidationError, WithJsonSchema

from users_service.web.errors import INVALID_PAYLOAD, ApiError, json_response

HTTP_DATE_EXAMPLE = "Sat, 21 Nov 2026 06:53:34 GMT"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
Model = TypeVar("Model", bound=BaseModel)


def http_date(moment: datetime) -> str:
    """`moment` as an HTTP-date (IMF-fixdate), as werkzeug's `http_date` writes it, naive
    meaning UTC. In English whatever the locale; and in a third of werkzeug's time, which
    counted in a page of users: one date per user."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    day, month = DAY_NAMES[utc.weekday()], MONTH_NAMES[utc.month - 1]
    clock = (utc.hour, utc.minute, utc.second)
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (day, utc.day, month, utc.year, *clock)  # noqa: UP031


# A timestamp as the reference sent it: an HTTP-date string such as HTTP_DATE_EXAMPLE.
HttpDate = Annotated[
    datetime,
    PlainSerializer(http_date, return_type=str),
    WithJsonSchema(
        {"type": "string", "description": "An HTTP-date.", "examples": [HTTP_DATE_EXAMPLE]}
    ),
]


class RequestModel(BaseModel):
    """A request body or form: strict types, unknown keys ignored, strings bounded."""

    model_config = ConfigDict(strict=True, extra="ignore", str_max_length=4096)


class Reply(BaseModel):
    """A reply, or a part of one; read from ORM rows by attribute (`model_validate(row)`)."""

    # Fields with defaults are always sent, so they are required in the documented schema.
    model_config = ConfigDict(
        extra="forbid", from_attributes=True, json_schema_serialization_defaults_required=True
    )


class Message(Reply):
    """A success with a human-readable message."""

    status: Literal["success"] = "success"
    message: str


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


class Page(Reply):
    """The part every list page shares; a subclass adds the list itself under its own key."""

    next_cursor: str | None = Field(description="`?cursor=` for the next page, or null.")
    limit: int


def reply(model: Reply, code: int = 200) -> tuple[Response, int]:
    """The JSON reply for a reply model, exactly as the document describes it: compact, its
    keys in the model's order (`status` first), one line. pydantic writes the JSON itself:
    handing Flask's encoder a dict made from the model cost a page of users nearly twice as
    much."""
    return json_response(model.model_dump_json(), code), code


def parse_body(model: type[Model], status: str = "error", context: Any = None) -> Model:
    """The request's JSON body as `model`, or the contract's 400 with a list of problems."""
    body = json_object()
    if body is None:
        problem = {"field": "", "message": "The body must be a JSON object.", "type": "json"}
        raise ApiError(400, INVALID_PAYLOAD, status, errors=[problem])
    try:
        return model.model_validate(body, context=context)
    except ValidationError as error:
        raise ApiError(400, INVALID_PAYLOAD, status, errors=problems(error)) from error


def json_object() -> dict[str, Any] | None:
    """The request body as a JSON object, or None for anything else (form, array, garbage)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request_body())
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def request_body() -> bytes:
    """The whole body; 413 when a chunked one runs past the size limit, where Werkzeug would
    stop reading at the limit and hand over the part that fits."""
    data = request.get_data()
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(data) >= limit:
        request.stream.read(1)  # one byte past the limit: Werkzeug raises RequestEntityTooLarge
    return data


def problems(error: ValidationError) -> list[dict[str, str]]:
    """What was wrong, field by field, without the submitted values."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_input=False, include_url=False, include_context=False)
    ]
