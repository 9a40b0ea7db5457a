"""Headers every reply carries: which instance answered, and the request's id."""

import re
import uuid

from flask import Flask, Response, g, request

REQUEST_ID_HEADER = "X-Request-Id"
INSTANCE_HEADER = "X-Instance-Id"
ALB_TRACE_HEADER = "X-Amzn-Trace-Id"
# Ids are echoed into headers and logs: accept only short, printable, header-safe tokens.
SAFE_ID = re.compile(r"[A-Za-z0-9._:;=/+\-]{1,200}")


def incoming_request_id() -> str:
    for header in (REQUEST_ID_HEADER, ALB_TRACE_HEADER):
        value = request.headers.get(header, "")
        if SAFE_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


def register_request_context(app: Flask, instance_id: str) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = incoming_request_id()

    @app.after_request
    def _identify(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or incoming_request_id()
        response.headers[INSTANCE_HEADER] = instance_id
        return response
