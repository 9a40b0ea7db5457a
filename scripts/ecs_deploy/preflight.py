"""Checks before anything changes: the image, the cluster, the service and its target groups."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ecs_deploy import target_groups
from ecs_deploy.config import Config, ImageRef
from ecs_deploy.ecs_state import describe_service, family_of, short
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.target_groups import TargetGroup


@dataclass(frozen=True)
class ServiceState:
    """The service as preflight found it: what to roll back to, and what to watch."""

    service: dict[str, Any]
    previous_arn: str
    primary_id: str
    groups: list[TargetGroup]
    event_ids: frozenset[str]


def check(clients: Any, config: Config, family: str) -> ServiceState:
    check_image(clients.ecr, config.image)
    check_cluster(clients.ecs, config.cluster)
    service = describe_service(clients.ecs, config.cluster, config.service)
    primary = require_idle(service)
    if family_of(service["taskDefinition"]) != family:
        raise failed(f"the service runs {short(service['taskDefinition'])}, not family {family}")
    balancers = service.get("loadBalancers", [])
    if not balancers:
        raise failed("the service has no target group, so its tasks' health cannot be watched")
    return ServiceState(
        service=service,
        previous_arn=service["taskDefinition"],
        primary_id=primary["id"],
        groups=[target_groups.inspect(clients.elbv2, each) for each in balancers],
        event_ids=frozenset(e["id"] for e in service.get("events", [])),
    )


def check_image(ecr: Any, image: ImageRef) -> None:
    query: dict[str, Any] = {
        "repositoryName": image.repository_name,
        "imageIds": [{"imageDigest": image.digest}],
    }
    if image.registry_id:
        query["registryId"] = image.registry_id
    try:
        found = ecr.describe_images(**query)["imageDetails"]
    except ClientError as error:
        raise failed(f"image {image.pinned} not found in ECR: {error}") from error
    if not found:
        raise failed(f"image {image.pinned} not found in ECR")


def check_cluster(ecs: Any, cluster: str) -> None:
    reply = ecs.describe_clusters(clusters=[cluster])
    if not any(c.get("status") == "ACTIVE" for c in reply["clusters"]):
        raise failed(f"cluster {cluster} is missing or not ACTIVE")


def require_idle(service: dict[str, Any]) -> dict[str, Any]:
    """The one PRIMARY deployment, COMPLETED; otherwise another deploy is under way."""
    if service.get("deploymentController", {}).get("type", "ECS") != "ECS":
        raise failed("only the rolling (ECS) deployment controller is supported")
    deployments = service.get("deployments", [])
    states = [(d["status"], d.get("rolloutState", "unknown")) for d in deployments]
    if states != [("PRIMARY", "COMPLETED")]:
        raise DeployError(
            Outcome.DEPLOY_IN_PROGRESS,
            f"another deployment is in progress (deployments: {states}); refusing to deploy",
        )
    return dict(deployments[0])


def still_idle(ecs: Any, config: Config, state: ServiceState) -> dict[str, Any]:
    """Preflight's finding again, just before the update: a migration can take minutes."""
    service = describe_service(ecs, config.cluster, config.service)
    if require_idle(service)["id"] != state.primary_id:
        raise DeployError(
            Outcome.DEPLOY_IN_PROGRESS,
            "someone else deployed the service during the migration (which ran); not updating it",
        )
    return service


def failed(message: str) -> DeployError:
    return DeployError(Outcome.PREFLIGHT_FAILED, message)
