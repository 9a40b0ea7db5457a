"""/openapi.json: generated from the url map and the pydantic models, complete, and valid.

Completeness is enforced here: a route without `documented(...)` fails
`test_every_route_is_documented`, and what it answers is checked by the fuzz tests.
"""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from users_service.auth import guards
from users_service.auth.schemas import Login
from users_service.meta.openapi import openapi_document, undocumented_rules
from users_service.meta.openapi.routes import IMPLICIT_METHODS, VARIABLE
from users_service.users import routes as users

# The docs page's own static files are the only rules left out on purpose.
HIDDEN_RULES = ["/docs/assets/<name>"]
PROTECTED = {
    ("get", "/auth/logout"),
    ("get", "/auth/status"),
    ("get", "/auth/sessions"),
    ("delete", "/auth/sessions"),
    ("delete", "/auth/sessions/{session_id}"),
    ("post", "/auth/password"),
    ("get", "/users/me"),
    ("patch", "/users/me"),
    ("delete", "/users/me"),
    ("post", "/auth/verify-email/resend"),
    ("post", "/users"),
    ("patch", "/users/{user_id}"),
    ("delete", "/users/{user_id}"),
    ("post", "/files"),
    ("get", "/files"),
    ("get", "/files/{file_id}"),
}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200
    assert reply.content_type == "application/json"
    body: dict[str, Any] = reply.get_json()
    return body


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    """The document passes the OpenAPI 3.1 validator (which also checks the JSON Schemas)."""
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_the_validator_would_catch_a_broken_document(document: dict[str, Any]) -> None:
    """The check above has teeth: a response without a description is refused."""
    del document["paths"]["/ping"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(document)


def test_every_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    """Every rule of the url map, except the docs' assets, is an operation of the document."""
    assert undocumented_rules(app) == []
    served = {
        (method.lower(), VARIABLE.sub(r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule not in HIDDEN_RULES
        for method in set(rule.methods or ()) - IMPLICIT_METHODS
    }
    assert served == set(operations(document))


def test_a_new_undocumented_route_is_caught(app: Flask) -> None:
    """The completeness check fails for a route added without `documented`."""
    app.add_url_rule("/forgotten", "forgotten", view_func=lambda: "")
    assert undocumented_rules(app) == ["/forgotten"]


def test_every_operation_has_an_id_tag_summary_and_description(document: dict[str, Any]) -> None:
    """Operation ids are unique; tags are the blueprints; descriptions are the docstrings."""
    found = operations(document)
    ids = [operation["operationId"] for operation in found.values()]
    assert len(ids) == len(set(ids))
    tags = {tag["name"] for tag in document["tags"]}
    assert tags == {
        "account",
        "auth",
        "docs",
        "files",
        "health",
        "keys",
        "mail",
        "seed",
        "sessions",
        "users",
    }
    for operation in found.values():
        assert operation["summary"]
        assert operation["description"]
        assert set(operation["tags"]) <= tags
    login = found[("post", "/auth/login")]
    assert login["description"].startswith("Exchange email and password for an access token")


def test_request_bodies_are_the_validating_models(document: dict[str, Any]) -> None:
    """The body schema is the pydantic model that validates the request, by reference."""
    body = operations(document)[("post", "/auth/login")]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Login"}
    assert document["components"]["schemas"]["Login"] == Login.model_json_schema()


def test_the_password_policy_follows_the_settings(make_app: Callable[..., Flask]) -> None:
    """The documented password lengths are the app's PASSWORD_MIN/MAX_LENGTH."""
    app = make_app(password_min_length=12, password_max_length=64)
    password = openapi_document(app)["components"]["schemas"]["UserCreate"]["properties"]
    assert password["password"]["minLength"] == 12
    assert password["password"]["maxLength"] == 64


def test_protected_operations_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    """Exactly the guarded views require `bearerAuth`, an HTTP bearer JWT scheme."""
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    secured = {key for key, op in operations(document).items() if op.get("security")}
    assert secured == PROTECTED
    for key in PROTECTED:
        assert operations(document)[key]["security"] == [{"bearerAuth": []}]


def test_reading_users_needs_a_token_where_users_are_not_public(
    make_app: Callable[..., Flask],
) -> None:
    """With USERS_PUBLIC=false the document of that app secures GET /users and
    GET /users/{user_id}, with the guard's 401 and 403 (the default app: see above)."""
    found = operations(openapi_document(make_app(users_public=False)))
    for key in [("get", "/users"), ("get", "/users/{user_id}")]:
        assert found[key]["security"] == [{"bearerAuth": []}]
        assert messages(found[key]["responses"]["403"]) == [guards.NO_TOKEN]
        assert guards.UNKNOWN_USER in messages(found[key]["responses"]["401"])
    secured = {key for key, operation in found.items() if operation.get("security")}
    assert secured == PROTECTED | {("get", "/users"), ("get", "/users/{user_id}")}


def test_admin_changes_document_their_refusals(document: dict[str, Any]) -> None:
    """PATCH and DELETE /users/{user_id}: 404 and the last admin's 409 with their messages;
    PATCH takes at least one known key."""
    found = operations(document)
    for method in ("patch", "delete"):
        responses = found[(method, "/users/{user_id}")]["responses"]
        assert messages(responses["404"]) == [users.NO_SUCH_USER]
        assert messages(responses["409"]) == [users.LAST_ADMIN]
    change = document["components"]["schemas"]["UserChange"]
    assert change["minProperties"] == 1
    assert change["additionalProperties"] is False
    assert set(change["properties"]) == {"active", "admin", "username", "email"}
    assert not change.get("required")


def test_auth_errors_carry_the_contract_literals(document: dict[str, Any]) -> None:
    """401 and 403 enumerate the guard's messages; only the admin route adds NOT_ADMIN."""
    status = operations(document)[("get", "/auth/status")]["responses"]
    assert messages(status["403"]) == [guards.NO_TOKEN]
    assert set(messages(status["401"])) == {
        guards.EXPIRED_TOKEN,
        guards.INVALID_TOKEN,
        guards.UNKNOWN_USER,
    }
    add_user = operations(document)[("post", "/users")]["responses"]
    assert guards.NOT_ADMIN in messages(add_user["401"])


def messages(response: dict[str, Any]) -> list[str]:
    schema = response["content"]["application/json"]["schema"]
    enum: list[str] = schema["allOf"][1]["properties"]["message"]["enum"]
    return enum


def test_implied_error_replies(document: dict[str, Any]) -> None:
    """500 everywhere; 503 with Retry-After where the database is used; 400 and 413 with a
    body; 400 with a query; every reply carries X-Request-Id and X-Instance-Id."""
    found = operations(document)
    for (method, path), operation in found.items():
        responses = operation["responses"]
        assert "500" in responses, (method, path)
        for response in responses.values():
            assert {"X-Request-Id", "X-Instance-Id"} <= set(response["headers"])
        if "requestBody" in operation:
            assert {"400", "413"} <= set(responses), (method, path)
    database_down = found[("get", "/users")]["responses"]["503"]
    assert database_down["headers"]["Retry-After"] == {"$ref": "#/components/headers/Retry-After"}
    assert document["components"]["headers"]["Retry-After"]["required"] is True
    assert "503" not in found[("get", "/ping")]["responses"]


def test_parameters(document: dict[str, Any]) -> None:
    """Path parameters come from the rule; query parameters from the query model."""
    get_user = operations(document)[("get", "/users/{user_id}")]
    assert get_user["parameters"][0] == {**get_user["parameters"][0], "in": "path"}
    assert get_user["parameters"][0]["required"] is True
    query = {p["name"]: p for p in operations(document)[("get", "/users")]["parameters"]}
    assert query["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 999_999_999}
    assert query["cursor"]["schema"]["maxLength"] == 200
    assert not query["limit"]["required"]


def test_the_seed_is_plain_text(document: dict[str, Any]) -> None:
    """GET / answers text/plain, as the contract says."""
    ok = operations(document)[("get", "/")]["responses"]["200"]
    assert list(ok["content"]) == ["text/plain"]


def test_the_document_is_built_once_per_app(app: Flask, client: FlaskClient) -> None:
    """The url map does not change after start-up: later requests reuse the document."""
    first = client.get("/openapi.json").get_json()
    assert openapi_document(app) is openapi_document(app)
    assert client.get("/openapi.json").get_json() == first
