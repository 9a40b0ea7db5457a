"""Request bodies as the routes read them: a JSON object or a refusal, never a 500."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from hypothesis import assume, given, settings
from hypothesis.strategies import datetimes, timezones
from werkzeug.http import http_date as werkzeug_http_date

from users_service.models import User
from users_service.web.wire import HTTP_DATE_EXAMPLE, http_date

from services.users.tests.support.contract import assert_invalid_payload
from services.users.tests.support.helpers import bearer, register_body


@pytest.mark.reference_defect("answered a JSON array body with a 500 HTML page")
@pytest.mark.parametrize("route", ["/auth/register", "/auth/login", "/users"])
def test_json_array_body_is_400(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str], route: str
) -> None:
    """Defect: a JSON array body gave a 500 HTML page."""
    admin = make_user(admin=True)
    reply = client.post(route, json=[register_body()], headers=bearer(login(admin.email)))
    assert_invalid_payload(reply)


@settings(max_examples=500, deadline=None)
@given(
    moment=datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=timezones()
    )
)
def test_http_dates_are_written_as_werkzeug_writes_them(moment: datetime) -> None:
    """Every date, naive (meaning UTC) or at any offset, comes out as werkzeug's own
    `http_date` would write it: the reference's format, and clients parse it."""
    assume(_in_utc_range(moment))  # else no UTC equivalent in years 1 to 9999, for werkzeug either
    assert http_date(moment) == werkzeug_http_date(moment)


def _in_utc_range(moment: datetime) -> bool:
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def test_http_dates_are_the_references_format() -> None:
    assert (
        http_date(datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)) == "Thu, 29 Feb 2024 23:59:59 GMT"
    )
    assert http_date(datetime(2026, 11, 21, 6, 53, 34, 999_999)) == HTTP_DATE_EXAMPLE
