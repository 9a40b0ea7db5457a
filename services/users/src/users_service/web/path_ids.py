"""Ids in paths: `/users/<id>` and `/files/<id>` accept any string and answer 404 for what
cannot be an id, as the reference did."""

from typing import TypeVar

from sqlalchemy.orm import Session

Row = TypeVar("Row")
BIGINT_MAX = 2**63 - 1
ID_SUFFIX = "_id"


def get_by_path_id(session: Session, model: type[Row], text: str) -> Row | None:
    """The row whose id is this path segment; None when there is none or the segment cannot
    be an id (the caller answers 404)."""
    row_id = path_id(text)
    return None if row_id is None else session.get(model, row_id)


def path_id(text: str) -> int | None:
    """The id this path segment names, or None when it cannot be one."""
    # The length check keeps int() away from huge strings (and BIGINT overflow in SQL).
    if len(text) <= 19 and text.isascii() and text.isdigit() and 0 < int(text) <= BIGINT_MAX:
        return int(text)
    return None


def describe_path_id(name: str) -> str:
    """What /openapi.json says of a `<thing_id>` path segment."""
    thing = name.removesuffix(ID_SUFFIX).replace("_", " ")
    return f"The {thing}'s id; anything that is not a known integer id is a 404."
