"""The app's routes as the document sees them: one `Route` per rule and method."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, FloatConverter, IntegerConverter, Rule

from users_service.auth.guards import guard_of
from users_service.meta.openapi.operation import OperationDoc, doc_of, is_hidden
from users_service.web.path_ids import ID_SUFFIX, describe_path_id

IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True, eq=False)  # hashed by identity: one per rule and method
class Route:
    rule: Rule
    method: str
    view: Callable[..., Any]
    doc: OperationDoc

    @property
    def path(self) -> str:
        """`/users/<user_id>` as OpenAPI writes it: `/users/{user_id}`."""
        return VARIABLE.sub(r"{\1}", self.rule.rule)

    @property
    def tag(self) -> str:
        return self.rule.endpoint.rpartition(".")[0] or "default"

    @property
    def guard(self) -> str | None:
        return guard_of(self.view)

    @property
    def operation_id(self) -> str:
        name = self.doc.operation_id or self.rule.endpoint.replace(".", "_")
        return name if len(methods_of(self.rule)) == 1 else f"{name}_{self.method.lower()}"


def documented_routes(app: Flask) -> list[Route]:
    """Every documented rule and method, in path order."""
    routes: list[Route] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions[rule.endpoint]
        doc = doc_of(view)
        if doc is not None:
            routes.extend(Route(rule, method, view, doc) for method in methods_of(rule))
    return routes


def undocumented_rules(app: Flask) -> list[str]:
    """Rules with neither documentation nor an explicit `undocumented` mark."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if doc_of(app.view_functions[rule.endpoint]) is None
        and not is_hidden(app.view_functions[rule.endpoint])
    )


def methods_of(rule: Rule) -> list[str]:
    return sorted(set(rule.methods or ()) - IMPLICIT_METHODS)


def path_parameters(route: Route) -> list[dict[str, Any]]:
    # Werkzeug keeps a bound rule's converters in a private attribute; there is no public one.
    converters: dict[str, BaseConverter] = route.rule._converters
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": route.doc.path.get(name) or _default_description(name),
            "schema": _converter_schema(converter),
        }
        for name, converter in converters.items()
    ]


def _default_description(name: str) -> str:
    return describe_path_id(name) if name.endswith(ID_SUFFIX) else ""


def _converter_schema(converter: BaseConverter) -> dict[str, Any]:
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": 0}
    if isinstance(converter, FloatConverter):
        return {"type": "number", "minimum": 0}
    return {"type": "string", "pattern": f"^{converter.regex}$"}
