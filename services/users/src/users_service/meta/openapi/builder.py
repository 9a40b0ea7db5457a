"""Assemble the OpenAPI 3.1 document from the app's url map and the views' declarations."""

import inspect
import sys
from importlib.metadata import version
from typing import Any

from flask import Flask

from users_service.meta.openapi.operation import ReplyDoc
from users_service.meta.openapi.responses import Refs, collect_models, model_refs, responses
from users_service.meta.openapi.routes import Route, documented_routes, path_parameters
from users_service.meta.openapi.standard import BEARER, HEADERS, SECURITY_SCHEMES, implied_replies

EXTENSION_KEY = "openapi_document"
DESCRIPTION = """Users and authentication. Every JSON reply has `status` (`success`, `error` or
`fail`) and most have `message`; every error is JSON in that envelope. Every reply carries
`X-Request-Id` and `X-Instance-Id`. Protected operations take `Authorization: Bearer <token>`
with the `auth_token` from register or login: use **Authorize** to set it here."""


def openapi_document(app: Flask) -> dict[str, Any]:
    """The document for `app`, built once: routes do not change after start-up."""
    if EXTENSION_KEY not in app.extensions:
        app.extensions[EXTENSION_KEY] = build_document(app)
    document: dict[str, Any] = app.extensions[EXTENSION_KEY]
    return document


def build_document(app: Flask) -> dict[str, Any]:
    """In an app context: some schemas show the app's settings (the password policy)."""
    with app.app_context():
        return _document(app)


def _document(app: Flask) -> dict[str, Any]:
    routes = documented_routes(app)
    replies = {route: replies_of(route) for route in routes}
    refs, schemas = model_refs(collect_models(routes, replies))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = operation(
            route, replies[route], refs
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Users service",
            "version": version("users-service"),
            "description": DESCRIPTION,
        },
        "tags": tags(app, routes),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def replies_of(route: Route) -> dict[int, list[ReplyDoc]]:
    """The view's own replies first, then those its declaration implies, by status code."""
    by_code: dict[int, list[ReplyDoc]] = {}
    pairs = [*route.doc.replies.items(), *implied_replies(route.doc, route.guard)]
    for code, reply in pairs:
        by_code.setdefault(code, []).append(reply)
    return dict(sorted(by_code.items()))


def operation(route: Route, replies: dict[int, list[ReplyDoc]], refs: Refs) -> dict[str, Any]:
    doc = route.doc
    spec: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": doc.summary,
        "description": inspect.getdoc(route.view) or "",
        "tags": [route.tag],
        "responses": responses(replies, refs),
    }
    parameters = path_parameters(route) + query_parameters(route)
    if parameters:
        spec["parameters"] = parameters
    if doc.body is not None:
        schema = refs[(doc.body.model, "validation")]
        spec["requestBody"] = {
            "required": True,
            "content": {doc.body.media_type: {"schema": schema}},
        }
    if route.guard is not None:
        spec["security"] = [{BEARER: []}]
    return spec


def query_parameters(route: Route) -> list[dict[str, Any]]:
    if route.doc.query is None:
        return []
    schema = route.doc.query.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": field.pop("description", ""),
            "schema": _without_null(field),
        }
        for name, field in schema["properties"].items()
    ]


def tags(app: Flask, routes: list[Route]) -> list[dict[str, str]]:
    """One tag per blueprint, described by its module's docstring."""
    names = sorted({route.tag for route in routes})
    return [{"name": name, "description": _module_doc(app, name)} for name in names]


def _module_doc(app: Flask, name: str) -> str:
    blueprint = app.blueprints.get(name)
    module = sys.modules.get(blueprint.import_name) if blueprint else None
    return (inspect.getdoc(module) or "") if module else ""


def _without_null(field: dict[str, Any]) -> dict[str, Any]:
    """`int | None = None` means "optional" in a query, not "may be null"."""
    field.pop("title", None)
    if field.get("default", ...) is None:
        del field["default"]
    options = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
    return {**options[0], **field} if len(options) == 1 else field
