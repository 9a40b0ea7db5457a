"""Schemas from pydantic models, and the `responses` object of an operation."""

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from users_service.meta.openapi.operation import ReplyDoc
from users_service.meta.openapi.routes import Route
from users_service.meta.openapi.standard import EVERY_REPLY_HEADERS, HEADERS

Mode = Literal["validation", "serialization"]
ModelKey = tuple[type[BaseModel], Mode]
Refs = dict[tuple[type[Any], Mode], dict[str, Any]]
REF_TEMPLATE = "#/components/schemas/{model}"


def collect_models(
    routes: Iterable[Route], replies: dict[Route, dict[int, list[ReplyDoc]]]
) -> list[ModelKey]:
    """Request bodies are documented as validated, replies as serialized."""
    keys: dict[ModelKey, None] = {}
    for route in routes:
        if route.doc.body is not None:
            keys[(route.doc.body.model, "validation")] = None
        for parts in replies[route].values():
            keys.update({(part.model, "serialization"): None for part in parts if part.model})
    return list(keys)


def model_refs(keys: list[ModelKey]) -> tuple[Refs, dict[str, Any]]:
    """A `$ref` per model, and the `components.schemas` they point into."""
    refs, definitions = models_json_schema(keys, ref_template=REF_TEMPLATE)
    return {key: ref for key, ref in refs.items()}, definitions.get("$defs", {})


def responses(replies: dict[int, list[ReplyDoc]], refs: Refs) -> dict[str, Any]:
    return {str(code): response(parts, refs) for code, parts in replies.items()}


def response(parts: list[ReplyDoc], refs: Refs) -> dict[str, Any]:
    """One status code; several replies under one code become `anyOf` alternatives."""
    content: dict[str, Any] = {}
    for media_type in dict.fromkeys(part.media_type for part in parts):
        schemas = [_schema(part, refs) for part in parts if part.media_type == media_type]
        content[media_type] = {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
    descriptions = list(dict.fromkeys(part.description for part in parts))
    return {
        "description": descriptions[0] if len(descriptions) == 1 else _bullets(descriptions),
        "headers": _headers(parts),
        "content": content,
    }


def _schema(part: ReplyDoc, refs: Refs) -> dict[str, Any]:
    base = dict(part.schema) if part.schema is not None else {}
    if part.model is not None:
        base = refs[(part.model, "serialization")]
    if not part.messages:
        return base
    return {"allOf": [base, {"properties": {"message": {"enum": list(part.messages)}}}]}


def _headers(parts: list[ReplyDoc]) -> dict[str, Any]:
    """Headers every alternative sends are required; the others are only possible."""
    names = dict.fromkeys(
        [*EVERY_REPLY_HEADERS, *(name for part in parts for name in part.headers)]
    )
    headers: dict[str, Any] = {}
    for name in names:
        always = name in EVERY_REPLY_HEADERS or all(name in part.headers for part in parts)
        ref = {"$ref": f"#/components/headers/{name}"}
        headers[name] = ref if always else {**HEADERS[name], "required": False}
    return headers


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
