"""The ceiling: a bare WSGI app answering every request like /ping, served by the same
gunicorn configuration as the service. Nothing the service does per request can be faster,
so each endpoint's throughput is reported as a fraction of this one's."""

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"message":"pong!","status":"success"}\n'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
