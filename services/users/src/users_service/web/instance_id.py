"""Which instance is this: the ECS task id on ECS, else host name and port."""

import json
import logging
import socket
import urllib.request

from users_service.config import Settings

log = logging.getLogger(__name__)
METADATA_TIMEOUT_SECONDS = 1.0


def resolve_instance_id(settings: Settings) -> str:
    if settings.instance_id:
        return settings.instance_id
    if settings.ecs_container_metadata_uri_v4:
        task_id = _ecs_task_id(settings.ecs_container_metadata_uri_v4)
        if task_id:
            return task_id
    return f"{socket.gethostname()}:{settings.port}"


def _ecs_task_id(metadata_uri: str) -> str | None:
    """The last segment of the TaskARN from the ECS task metadata endpoint (v4)."""
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URI is set by the ECS agent
            f"{metadata_uri}/task", timeout=METADATA_TIMEOUT_SECONDS
        ) as reply:
            task_arn = json.load(reply)["TaskARN"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ECS task metadata unavailable: %s", error)
        return None
    return str(task_arn).rsplit("/", 1)[-1] or None
