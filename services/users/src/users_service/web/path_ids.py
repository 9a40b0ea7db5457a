"""Ids in paths: `/users/<id>` and `/files/<id>` accept any string and answer 404 for what
cannot be an id, as the reference did."""

from typing import TypeVar

from sqlalchemy.orm import Session

Row = TypeVar("Row")
BIGINT_MAX = 2**63 - 1


def get_by_path_id(session: Session, model: type[Row], text: str) -> Row | None:
    """The row whose id is this path segment; None when there is none or the segment cannot
    be an id (the caller answers 404)."""
    # The length check keeps int() away from huge strings (and BIGINT overflow in SQL).
    if len(text) <= 19 and text.isascii() and text.isdigit() and 0 < int(text) <= BIGINT_MAX:
        return session.get(model, int(text))
    return None
