"""Every route the service serves is in the route tables of the README and docs/api.md, and
the runnable examples of docs/api.md call it with curl (tests/test_api_examples.py checks
what they print)."""

import re
from pathlib import Path

from flask import Flask

from users_service.meta.openapi.routes import documented_routes

ROOT = Path(__file__).resolve().parents[4]
TABLE_ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.MULTILINE)
VARIABLE = re.compile(r"<[^<>]+>")
CURL_URL = re.compile(r"\$B(/[^\s\"';?]*)")
CURL_METHOD = re.compile(r"-X (GET|POST|PUT|PATCH|DELETE)\b")
Route = tuple[str, str]


def served(app: Flask) -> set[Route]:
    return {(route.method, _generic(route.rule.rule)) for route in documented_routes(app)}


def table_of(page: Path) -> set[Route]:
    return {(method, _generic(path)) for method, path in TABLE_ROW.findall(page.read_text())}


def curl_examples() -> set[Route]:
    """(method, path) of every curl command in the runnable block of docs/api.md; a path
    segment that is a number or a shell variable stands for an id."""
    text = (ROOT / "docs" / "api.md").read_text()
    block = text.split("<!-- api-examples -->", 1)[1].split("\n```\n", 1)[0]
    commands = block.replace("\\\n", " ").splitlines()
    found: set[Route] = set()
    for command in (line for line in commands if "curl " in line):
        method = CURL_METHOD.search(command)
        for path in CURL_URL.findall(command):
            found.add((method.group(1) if method else "GET", _generic(_ids(path))))
    return found


def _ids(path: str) -> str:
    segments = path.split("/")
    return "/".join("<id>" if s.isdigit() or s.startswith("$") else s for s in segments)


def _generic(path: str) -> str:
    return VARIABLE.sub("<id>", path)


def test_both_route_tables_list_every_route(app: Flask) -> None:
    routes = served(app)
    assert len(routes) > 20
    assert table_of(ROOT / "README.md") == routes
    assert table_of(ROOT / "docs" / "api.md") == routes


def test_the_runnable_examples_call_every_route(app: Flask) -> None:
    assert served(app) <= curl_examples()
