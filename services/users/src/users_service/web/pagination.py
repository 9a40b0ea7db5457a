"""One pagination envelope for every list: newest first, keyset cursor, capped page size.

The cursor is the (created_at, id) of the last item served. Rows inserted while a client
pages are newer than its cursor, so they never shift later pages: no item is repeated or
skipped, and the cost of a page does not grow with the size of the table.
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from flask import Response, request
from pydantic import BaseModel, Field
from sqlalchemy import Select, bindparam, tuple_
from sqlalchemy.orm import Session

from users_service.config import current_settings
from users_service.models.compiled_reads import CompiledRead
from users_service.web.errors import ApiError
from users_service.web.path_ids import BIGINT_MAX
from users_service.web.wire import Reply, reply

MAX_CURSOR_LENGTH = 200  # the service's own cursors are about 60 characters
INVALID_QUERY = "Invalid query parameter."
NOT_A_CURSOR = "not a cursor returned by this service"
MAX_LIMIT_DIGITS = 9  # keeps int() away from huge strings; the page size is capped anyway


class PageQuery(BaseModel):
    """The query of every list. It documents what `PageRequest.from_query` accepts."""

    limit: int | None = Field(
        None,
        ge=1,
        le=10**MAX_LIMIT_DIGITS - 1,
        description="Items per page; defaults to USERS_PAGE_SIZE, capped at USERS_MAX_PAGE_SIZE.",
    )
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="`data.next_cursor` of the previous page (opaque); omit it for the first page.",
        json_schema_extra={"format": "page-cursor", "pattern": "^[A-Za-z0-9_-]*$"},
    )


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        if len(token) > MAX_CURSOR_LENGTH:
            raise _bad_cursor()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            stamp, row_id = json.loads(raw)
            created_at = datetime.fromisoformat(stamp)
            # Compare in UTC: SQLite stores naive UTC text and would ignore any other offset.
            created_at = created_at.astimezone(UTC) if created_at.tzinfo else created_at
        except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error) as error:
            raise _bad_cursor() from error
        if created_at.tzinfo is None or type(row_id) is not int or not 0 < row_id <= BIGINT_MAX:
            raise _bad_cursor()
        return cls(created_at, row_id)


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: Cursor | None

    @classmethod
    def from_query(cls, default: int, maximum: int) -> "PageRequest":
        """Read ?limit= (capped at `maximum`) and ?cursor= from the request."""
        raw_limit = request.args.get("limit", str(default))
        if (
            not (len(raw_limit) <= MAX_LIMIT_DIGITS and raw_limit.isascii() and raw_limit.isdigit())
            or int(raw_limit) < 1
        ):
            raise _bad_parameter("limit", "must be a positive integer")
        cursor = request.args.get("cursor")
        return cls(min(int(raw_limit), maximum), Cursor.decode(cursor) if cursor else None)


# Runs a read with parameters: `db.read_all`, or an ORM session's (see `list_reply`).
Reader = Callable[..., Sequence[Any]]


@dataclass(frozen=True)
class NewestFirst:
    """A list's query, newest first, as the two reads its pages need (the first page, and
    the pages after a cursor), built once: a request only binds its limit and cursor."""

    first: CompiledRead
    after: CompiledRead

    @classmethod
    def of(cls, query: Select[Any], keys: Any) -> "NewestFirst":
        """`keys` has the `created_at` and `id` columns to order by (a model, or a table's
        columns)."""
        first = query.order_by(keys.created_at.desc(), keys.id.desc()).limit(bindparam("limit"))
        cursor = tuple_(
            bindparam("after_created_at", type_=keys.created_at.type),
            bindparam("after_id", type_=keys.id.type),
        )
        after = first.where(tuple_(keys.created_at, keys.id) < cursor)
        return cls(CompiledRead(first), CompiledRead(after))


def newest_first(
    read: Reader, pages: NewestFirst, page: PageRequest
) -> tuple[Sequence[Any], str | None]:
    """One page of rows and the next cursor."""
    if page.after is None:
        rows = read(pages.first, limit=page.limit + 1)
    else:
        after = {"after_created_at": page.after.created_at, "after_id": page.after.id}
        rows = read(pages.after, limit=page.limit + 1, **after)
    if len(rows) <= page.limit:
        return rows, None
    last = rows[page.limit - 1]
    return rows[: page.limit], Cursor(last.created_at, last.id).encode()


@dataclass(frozen=True)
class RowsPage:
    """One page of rows and what the reply's `data` says about it."""

    rows: Sequence[Any]
    next_cursor: str | None
    limit: int

    @property
    def meta(self) -> dict[str, Any]:
        return {"next_cursor": self.next_cursor, "limit": self.limit}


def page_of_rows(read: Reader, pages: NewestFirst, sizes: tuple[int, int]) -> RowsPage:
    """The page of `pages` that the request's ?limit= and ?cursor= ask for, with `sizes` =
    (default, maximum) page size."""
    page = PageRequest.from_query(*sizes)
    rows, next_cursor = newest_first(read, pages, page)
    return RowsPage(rows, next_cursor, page.limit)


def list_reply(
    session: Session, pages: NewestFirst, kind: Literal["users", "files"], envelope: type[Reply]
) -> tuple[Response, int]:
    """A list view's whole reply: one page of model rows (page sizes `<KIND>_PAGE_SIZE` and
    `<KIND>_MAX_PAGE_SIZE`) in `envelope`, whose `data` holds them under `kind`."""

    def read(compiled: CompiledRead, **params: Any) -> Sequence[Any]:
        return session.scalars(compiled.statement, params).all()

    page = page_of_rows(read, pages, current_settings().page_sizes(kind))
    data = {kind: page.rows, **page.meta}
    return reply(envelope.model_validate({"data": data}, from_attributes=True))


def _bad_cursor() -> ApiError:
    return _bad_parameter("cursor", NOT_A_CURSOR)


def _bad_parameter(name: str, problem: str) -> ApiError:
    errors = [{"field": name, "message": problem, "type": "query"}]
    return ApiError(400, INVALID_QUERY, "fail", errors=errors)
