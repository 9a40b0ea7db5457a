"""Request bodies the validation tests send to every route that reads one."""

from typing import Any

from services.users.tests.support.helpers import PASSWORD, register_body

BAD_BODIES: dict[str, dict[str, Any]] = {
    "form": {"data": {"username": "u", "email": "u@example.com", "password": PASSWORD}},
    "empty object": {"json": {}},
    "empty array": {"json": []},
    "array of a body": {"json": [register_body()]},
    "missing password": {"json": {"username": "u", "email": "u@example.com"}},
}
WRONG_TYPED_VALUES: dict[str, Any] = {
    "int": 42,
    "float": 4.2,
    "bool": True,
    "list": ["a"],
    "dict": {"a": "b"},
    "null": None,
}
NOT_JSON_BODIES: dict[str, tuple[str, str]] = {
    "text_plain": ('{"username": "a", "email": "a@example.com", "password": "x"}', "text/plain"),
    "invalid_json": ("{not json", "application/json"),
    "truncated_json": ('{"username": "a", "email": ', "application/json"),
    "array": ("[]", "application/json"),
    "string": ('"str"', "application/json"),
    "number": ("42", "application/json"),
    "null": ("null", "application/json"),
    "deep_nesting": ("[" * 100_000 + "]" * 100_000, "application/json"),
    "empty": ("", "application/json"),
}
