"""The task definition from the template: placeholders filled in parsed string values.

Substituting in the parsed structure, never in the JSON text, means a value holding a quote or
a backslash cannot change the document's shape.
"""

import json
import re
from pathlib import Path
from typing import Any

from ecs_deploy.config import usage

PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")


def render_file(path: Path, values: dict[str, str]) -> dict[str, Any]:
    try:
        template = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise usage(f"cannot read the template {path}: {error}") from error
    return render(template, values)


def render_task_definition(path: Path, values: dict[str, str]) -> dict[str, Any]:
    """A task definition from its template, every container image pinned by digest."""
    rendered = render_file(path, values)
    _require_pinned_images(rendered, values["IMAGE"])
    return rendered


def render(template: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """The template with every {{NAME}} replaced; fails on any placeholder left unfilled."""
    for name, value in values.items():
        if not value or PLACEHOLDER.search(value):
            raise usage(f"the value for {{{{{name}}}}} is empty or holds a placeholder: {value!r}")
    rendered = _substitute(template, values)
    left = sorted(set(_leftovers(rendered, "")))
    if left:
        raise usage("placeholders without a value: " + ", ".join(left))
    return dict(rendered)


def _substitute(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(item, values) for item in node]
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), node)
    return node


def _leftovers(node: Any, where: str) -> list[str]:
    """Where placeholders remain, as `path: {{NAME}}`; keys too, which _substitute never fills."""
    if isinstance(node, dict):
        found = [f"{where}/{key} (in a key)" for key in node if PLACEHOLDER.search(key)]
        return found + [hit for k, v in node.items() for hit in _leftovers(v, f"{where}/{k}")]
    if isinstance(node, list):
        return [hit for i, item in enumerate(node) for hit in _leftovers(item, f"{where}/{i}")]
    if isinstance(node, str):
        return [f"{where}: {match[0]}" for match in PLACEHOLDER.finditer(node)]
    return []


def _require_pinned_images(task_definition: dict[str, Any], image: str) -> None:
    images = [c.get("image") for c in task_definition.get("containerDefinitions", [])]
    if image not in images or any("@sha256:" not in str(each) for each in images):
        raise usage(f"every container image must be pinned by digest, with {image}: {images}")


def container(task_definition: dict[str, Any], name: str) -> dict[str, Any]:
    for each in task_definition.get("containerDefinitions", []):
        if each.get("name") == name:
            return dict(each)
    raise usage(f"the task definition has no container named {name!r}")
