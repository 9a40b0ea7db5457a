"""The instance id (X-Instance-Id): INSTANCE_ID, else the ECS task id from the task metadata
endpoint, else `<hostname>:<port>`.
"""

import socket
from collections.abc import Callable

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer

from users_service.config import Settings
from users_service.web.instance_id import resolve_instance_id

from services.users.tests.support.helpers import free_port

TASK_ID = "0123456789abcdef0123456789abcdef"
TASK_ARN = f"arn:aws:ecs:eu-west-1:111122223333:task/users-cluster/{TASK_ID}"


class MetadataServer:
    """A fake ECS task metadata endpoint on 127.0.0.1 (pytest-httpserver)."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.url = server.url_for("/v4/abc")

    @property
    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [request.path for request, _ in self.server.log]


@pytest.fixture
def metadata_server(httpserver_ipv4: HTTPServer) -> MetadataServer:
    """A real HTTP server answering `<url>/task` with a TaskARN, anything else with a 404."""
    httpserver_ipv4.no_handler_status_code = 404
    httpserver_ipv4.expect_request("/v4/abc/task", method="GET").respond_with_json(
        {"TaskARN": TASK_ARN}
    )
    return MetadataServer(httpserver_ipv4)


def test_instance_id_comes_from_settings(make_app: Callable[..., Flask]) -> None:
    """X-Instance-Id is the configured INSTANCE_ID."""
    application = make_app(instance_id="blue-7")
    assert application.test_client().get("/ping").headers["X-Instance-Id"] == "blue-7"


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
