"""The AWS clients of one deploy, built in one place so tests can hand in stubbed ones.

Every client refuses to let a permission error pass as an ordinary API error: AccessDenied
ends the deploy at once (exit 9) naming the IAM action, so no caller can retry it or read it
as a failed rollout and roll back a healthy deployment.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from ecs_deploy.outcome import DeployError, Outcome

# Standard retry mode backs off on throttling, which a poll loop over several APIs can meet.
RETRIES = {"mode": "standard", "max_attempts": 6}
NAMES = ("ecs", "ecr", "elbv2", "logs", "cloudformation", "cloudwatch")
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
# IAM's service prefix where it differs from the API's signing name.
IAM_PREFIX = {"monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Clients:
    ecs: Any
    ecr: Any
    elbv2: Any
    logs: Any
    cloudformation: Any
    cloudwatch: Any


def make_clients(region: str, endpoint_url: str | None = None) -> Clients:
    """Clients for `region`; `endpoint_url` sends every call to one server (moto in tests)."""
    session = boto3.session.Session(region_name=region)
    config = BotoConfig(retries=RETRIES, connect_timeout=10, read_timeout=60)
    return build(lambda name: session.client(name, endpoint_url=endpoint_url, config=config))


def build(make: Callable[[str], Any]) -> Clients:
    clients = {name: make(name) for name in NAMES}
    for client in clients.values():
        client.meta.events.register("after-call.*.*", _refuse_denied)
    return Clients(**clients)


def iam_action(operation_model: Any) -> str:
    """`ecs:UpdateService` for the ECS UpdateService operation."""
    signing = operation_model.service_model.signing_name
    return f"{IAM_PREFIX.get(signing, signing)}:{operation_model.name}"


def _refuse_denied(parsed: dict[str, Any], model: Any, **_: Any) -> None:
    error = parsed.get("Error", {})
    if error.get("Code") in DENIED:
        raise DeployError(
            Outcome.PERMISSION_DENIED,
            f"{iam_action(model)} denied ({error.get('Message', 'no message')}); the deploy "
            "role needs it (infra/deploy-identity.yaml). Nothing was rolled back by this run.",
        )
