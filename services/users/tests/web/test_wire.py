"""Request bodies as the routes read them: a JSON object or a refusal, never a 500."""

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.models import User

from services.users.tests.support.helpers import bearer, register_body


def assert_invalid_payload(reply: TestResponse, field: str | None = None) -> None:
    """A JSON 400 `Invalid payload.` whose `errors` list names `field` (when given)."""
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.is_json, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["message"] == "Invalid payload."
    assert isinstance(body["errors"], list)
    assert body["errors"]
    if field is not None:
        assert field in [problem["field"] for problem in body["errors"]], body["errors"]


@pytest.mark.reference_defect("answered a JSON array body with a 500 HTML page")
@pytest.mark.parametrize("route", ["/auth/register", "/auth/login", "/users"])
def test_json_array_body_is_400(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., str], route: str
) -> None:
    """Defect: a JSON array body gave a 500 HTML page."""
    admin = make_user(admin=True)
    reply = client.post(route, json=[register_body()], headers=bearer(login(admin.email)))
    assert_invalid_payload(reply)
