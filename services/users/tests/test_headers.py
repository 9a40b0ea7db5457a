"""Identity headers on every reply, instance id resolution, and CORS.

Behind a load balancer, X-Instance-Id says which instance answered and X-Request-Id ties
a reply to its log lines (taken from the client or the ALB's trace header when safe).
"""

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from users_service.config import Settings
from users_service.web.instance_id import resolve_instance_id

from services.users.tests.support.helpers import free_port

TRACE_ID = "Root=1-67891233-abcdef012345678912345678"
TASK_ID = "0123456789abcdef0123456789abcdef"
TASK_ARN = f"arn:aws:ecs:eu-west-1:111122223333:task/users-cluster/{TASK_ID}"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
ALLOWED_ORIGIN = "https://app.example.com"


@dataclass
class MetadataServer:
    """A fake ECS task metadata endpoint on 127.0.0.1."""

    url: str
    paths: list[str] = field(default_factory=list)


def _metadata_handler(served: MetadataServer, task: dict[str, object]) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.paths.append(self.path)
            if self.path != "/v4/abc/task":
                self.send_error(404)
                return
            payload = json.dumps(task).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@pytest.fixture
def metadata_server() -> Iterator[MetadataServer]:
    """A real HTTP server answering `<url>/task` with a TaskARN, shut down after the test."""
    served = MetadataServer(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _metadata_handler(served, {"TaskARN": TASK_ARN}))
    served.url = f"http://127.0.0.1:{server.server_address[1]}/v4/abc"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def offline_client(offline_app: Flask) -> FlaskClient:
    """A client of an app whose database refuses connections."""
    return offline_app.test_client()


# --- identity headers on every reply ------------------------------------------------------


def _replies(client: FlaskClient, offline_client: FlaskClient) -> dict[int, TestResponse]:
    return {
        200: client.get("/ping"),
        404: client.get("/no-such-route"),
        400: client.post("/auth/register", json={}),
        503: offline_client.get("/users"),
    }


def test_every_reply_carries_instance_id(client: FlaskClient, offline_client: FlaskClient) -> None:
    """200, 404, 400 and 503 replies all name the instance."""
    for code, reply in _replies(client, offline_client).items():
        assert reply.status_code == code
        assert reply.headers["X-Instance-Id"] == "test-instance", code


def test_every_reply_carries_request_id(client: FlaskClient, offline_client: FlaskClient) -> None:
    """200, 404, 400 and 503 replies all carry a generated request id."""
    for code, reply in _replies(client, offline_client).items():
        assert reply.status_code == code
        assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"]), code


def test_instance_id_comes_from_settings(make_app: Callable[..., Flask]) -> None:
    """X-Instance-Id is the configured INSTANCE_ID."""
    application = make_app(instance_id="blue-7")
    assert application.test_client().get("/ping").headers["X-Instance-Id"] == "blue-7"


@pytest.mark.parametrize("code_path", ["/ping", "/no-such-route"])
def test_incoming_request_id_is_echoed(client: FlaskClient, code_path: str) -> None:
    """A safe X-Request-Id from the client comes back unchanged."""
    reply = client.get(code_path, headers={"X-Request-Id": "req-42.abc:7"})
    assert reply.headers["X-Request-Id"] == "req-42.abc:7"


def test_incoming_request_id_echoed_on_400(client: FlaskClient) -> None:
    """The id is echoed on a refusal too."""
    reply = client.post("/auth/register", json={}, headers={"X-Request-Id": "abc-400"})
    assert reply.status_code == 400
    assert reply.headers["X-Request-Id"] == "abc-400"


def test_incoming_request_id_echoed_on_503(offline_client: FlaskClient) -> None:
    """The id is echoed on a database outage too."""
    reply = offline_client.get("/users", headers={"X-Request-Id": "abc-503"})
    assert reply.status_code == 503
    assert reply.headers["X-Request-Id"] == "abc-503"


def test_alb_trace_id_used_without_request_id(client: FlaskClient) -> None:
    """With no X-Request-Id, the ALB's X-Amzn-Trace-Id is the request id."""
    reply = client.get("/ping", headers={"X-Amzn-Trace-Id": TRACE_ID})
    assert reply.headers["X-Request-Id"] == TRACE_ID


def test_request_id_wins_over_trace_id(client: FlaskClient) -> None:
    """An explicit X-Request-Id takes precedence over the trace header."""
    reply = client.get("/ping", headers={"X-Request-Id": "mine-1", "X-Amzn-Trace-Id": TRACE_ID})
    assert reply.headers["X-Request-Id"] == "mine-1"


@pytest.mark.parametrize(
    "unsafe",
    [
        "has spaces in it",
        'quote"d',
        "single'quote",
        "abc\\r\\nSet-Cookie: evil=1",
        "abc%0d%0aSet-Cookie:evil=1",
        "<script>alert(1)</script>",
        "x" * 300,
        "x" * 201,
        "é-unicode",
    ],
    ids=["spaces", "dquote", "squote", "crlf_escaped", "crlf_encoded", "html", "300", "201", "utf"],
)
def test_unsafe_request_id_is_replaced(client: FlaskClient, unsafe: str) -> None:
    """An unsafe or over-long incoming id is replaced by a generated 32-hex id."""
    reply = client.get("/ping", headers={"X-Request-Id": unsafe})
    assert reply.status_code == 200
    assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"])


def test_unsafe_trace_id_is_replaced(client: FlaskClient) -> None:
    """An unsafe X-Amzn-Trace-Id is not echoed either."""
    reply = client.get("/ping", headers={"X-Amzn-Trace-Id": "Root=1 ; evil stuff"})
    assert GENERATED_ID.fullmatch(reply.headers["X-Request-Id"])


def test_request_id_of_200_chars_is_kept(client: FlaskClient) -> None:
    """200 characters is still a safe id."""
    value = "r" * 200
    assert client.get("/ping", headers={"X-Request-Id": value}).headers["X-Request-Id"] == value


def test_generated_request_ids_differ(client: FlaskClient) -> None:
    """Without incoming ids, every request gets a fresh id."""
    ids = {client.get("/ping").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED_ID.fullmatch(value) for value in ids)


# --- instance id resolution ---------------------------------------------------------------


def test_explicit_instance_id_wins(
    make_settings: Callable[..., Settings], metadata_server: MetadataServer
) -> None:
    """INSTANCE_ID wins over ECS metadata, which is then not even fetched."""
    settings = make_settings(
        instance_id="explicit-1", ecs_container_metadata_uri_v4=metadata_server.url
    )
    assert resolve_instance_id(settings) == "explicit-1"
    assert metadata_server.paths == []


def test_ecs_task_id_from_metadata(
    make_settings: Callable[..., Settings], metadata_server: MetadataServer
) -> None:
    """On ECS the instance id is the last segment of the TaskARN at `<uri>/task`."""
    settings = make_settings(instance_id=None, ecs_container_metadata_uri_v4=metadata_server.url)
    assert resolve_instance_id(settings) == TASK_ID
    assert metadata_server.paths == ["/v4/abc/task"]


def test_ecs_task_id_in_reply_header(
    make_app: Callable[..., Flask], metadata_server: MetadataServer
) -> None:
    """An app built on ECS names its task in X-Instance-Id."""
    application = make_app(instance_id=None, ecs_container_metadata_uri_v4=metadata_server.url)
    assert application.test_client().get("/ping").headers["X-Instance-Id"] == TASK_ID


def test_ecs_metadata_down_falls_back_to_host_and_port(
    make_settings: Callable[..., Settings],
) -> None:
    """If the metadata endpoint cannot be reached, the id is `<hostname>:<port>`."""
    url = f"http://127.0.0.1:{free_port()}/v4/abc"  # nothing listens there
    settings = make_settings(instance_id=None, ecs_container_metadata_uri_v4=url, port=5123)
    assert resolve_instance_id(settings) == f"{socket.gethostname()}:5123"


def test_ecs_metadata_without_task_arn_falls_back(
    make_settings: Callable[..., Settings], metadata_server: MetadataServer
) -> None:
    """A metadata reply without a usable TaskARN (here a 404) falls back to host and port."""
    url = metadata_server.url.replace("/v4/abc", "/v4/other")
    settings = make_settings(instance_id=None, ecs_container_metadata_uri_v4=url, port=5124)
    assert resolve_instance_id(settings) == f"{socket.gethostname()}:5124"
    assert metadata_server.paths == ["/v4/other/task"]


def test_without_ecs_uses_host_and_port(make_settings: Callable[..., Settings]) -> None:
    """Outside ECS, with no INSTANCE_ID, the id is `<hostname>:<port>`."""
    settings = make_settings(instance_id=None, ecs_container_metadata_uri_v4=None, port=5125)
    assert resolve_instance_id(settings) == f"{socket.gethostname()}:5125"


# --- CORS ---------------------------------------------------------------------------------


@pytest.fixture
def cors_client(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app that allows one origin (configured in the env's string format)."""
    return make_app(cors_origins=ALLOWED_ORIGIN).test_client()


def test_cors_origins_string_is_parsed(make_settings: Callable[..., Settings]) -> None:
    """The comma-separated env format becomes a tuple of origins."""
    settings = make_settings(cors_origins=f"{ALLOWED_ORIGIN}, https://b.example.com ,")
    assert settings.cors_origins == (ALLOWED_ORIGIN, "https://b.example.com")


def test_cors_allowed_origin(cors_client: FlaskClient) -> None:
    """A request from the allowed origin gets Access-Control-Allow-Origin for it."""
    reply = cors_client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_cors_exposes_identity_headers(cors_client: FlaskClient) -> None:
    """Browsers may read X-Request-Id and X-Instance-Id."""
    reply = cors_client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    exposed = {
        item.strip().lower() for item in reply.headers["Access-Control-Expose-Headers"].split(",")
    }
    assert {"x-request-id", "x-instance-id"} <= exposed


def test_cors_other_origin_gets_nothing(cors_client: FlaskClient) -> None:
    """Another origin gets no Access-Control-Allow-Origin."""
    reply = cors_client.get("/ping", headers={"Origin": "https://evil.example.com"})
    assert reply.status_code == 200
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_cors_not_configured_sends_no_header(client: FlaskClient) -> None:
    """Without CORS_ORIGINS, no CORS header is sent at all."""
    reply = client.get("/ping", headers={"Origin": ALLOWED_ORIGIN})
    assert reply.status_code == 200
    assert not [name for name, _ in reply.headers.items() if name.lower().startswith("access-")]


def test_cors_preflight_for_allowed_origin(cors_client: FlaskClient) -> None:
    """A preflight OPTIONS from the allowed origin is answered with the CORS grant."""
    reply = cors_client.options(
        "/auth/register",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Authorization",
        },
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in reply.headers["Access-Control-Allow-Methods"]
    allowed_headers = reply.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed_headers
    assert "authorization" in allowed_headers


def test_cors_preflight_for_other_origin(cors_client: FlaskClient) -> None:
    """A preflight from another origin gets no grant."""
    reply = cors_client.options(
        "/auth/register",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in reply.headers
