"""Who is asking, which request this is and which instance answers it: the headers every
reply carries (the instance and the request's id), and what the logs name."""

import re
import secrets

from flask import Flask, Response, current_app, g, has_app_context, request

REQUEST_ID_HEADER = "X-Request-Id"
INSTANCE_HEADER = "X-Instance-Id"
ALB_TRACE_HEADER = "X-Amzn-Trace-Id"
# Ids are echoed into headers and logs: accept only short, printable, header-safe tokens.
SAFE_ID = re.compile(r"[A-Za-z0-9._:;=/+\-]{1,200}")
INSTANCE_KEY = "users_service.instance_id"
# Where WSGI puts those two headers, in the order they are believed.
ID_ENVIRON_KEYS = tuple(
    "HTTP_" + header.upper().replace("-", "_") for header in (REQUEST_ID_HEADER, ALB_TRACE_HEADER)
)


def client_address() -> str:
    """The caller's address: the peer, or the X-Forwarded-For entry that the configured
    number of trusted proxies vouch for (ProxyFix rewrites remote_addr; see app.py)."""
    return request.remote_addr or "unknown"


def current_instance_id() -> str | None:
    """This instance's id; None outside an app (a log line written before one exists)."""
    return current_app.extensions.get(INSTANCE_KEY) if has_app_context() else None


def incoming_request_id() -> str:
    """The client's X-Request-Id, else the ALB's trace id, if safe; else a new random id."""
    for key in ID_ENVIRON_KEYS:  # read from the environ: every request pays for this
        value = request.environ.get(key)
        if value and SAFE_ID.fullmatch(value):
            return str(value)
    return secrets.token_hex(16)


def register_request_context(app: Flask, instance_id: str) -> None:
    app.extensions[INSTANCE_KEY] = instance_id

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = incoming_request_id()

    @app.after_request
    def _identify(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or incoming_request_id()
        response.headers[INSTANCE_HEADER] = instance_id
        return response
