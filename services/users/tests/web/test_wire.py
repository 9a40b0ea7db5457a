"""Request bodies as the routes read them: a JSON object or a refusal, never a 500."""

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from users_service.models import User

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
