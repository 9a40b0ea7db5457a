"""Checks before anything changes: the image, the cluster, the service and its target groups,
capacity and alarms, and one call of every read the rollout, rollback and cleanup will make,
so that a missing permission ends the deploy here (exit 9) rather than mid-rollout."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ecs_deploy import alarms, capacity, cleanup, probe, records, target_groups, targets
from ecs_deploy.config import Config, ImageRef
from ecs_deploy.definitions import Definitions
from ecs_deploy.ecs_state import family_of, find_service, short
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.target_groups import TargetGroup


@dataclass(frozen=True)
class ServiceState:
    """The service as preflight found it (None before the first deploy creates it)."""

    service: dict[str, Any] | None
    settings: dict[str, Any]  # the definition's settings with the live desired count
    previous_arn: str | None
    groups: list[TargetGroup]
    capacity: capacity.Capacity
    bake: int


def check(clients: Any, config: Config, defs: Definitions) -> ServiceState:
    cluster, name = defs.service["cluster"], defs.service["serviceName"]
    check_image(clients.ecr, config.image)
    cluster_arn = check_cluster(clients.ecs, cluster)
    service = find_service(clients.ecs, cluster, name)
    if service is not None:
        require_fit(service, defs)
    require_idle(clients.ecs, cluster, name)
    prove_records(clients.ecs, service, records.probe_arn(*_where(cluster_arn), cluster, name))
    groups = [target_groups.inspect(clients.elbv2, lb) for lb in defs.service["loadBalancers"]]
    previous = service["taskDefinition"] if service else None
    targets.observe(clients, cluster, name, groups, previous or "")
    settings = defs.service | _live(service)
    for family in (defs.task["family"], defs.migration["family"]):
        cleanup.active_revisions(clients.ecs, family)
    probe.log_readable(clients.logs, _log_group(defs.task))
    return ServiceState(
        service=service,
        settings=settings,
        previous_arn=previous,
        groups=groups,
        capacity=capacity.assess(clients.ecs, cluster, settings, defs.task),
        bake=alarms.bake_seconds(clients.cloudwatch, alarms.names(defs.service)),
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


def check_cluster(ecs: Any, cluster: str) -> str:
    reply = ecs.describe_clusters(clusters=[cluster])
    active = [c for c in reply["clusters"] if c.get("status") == "ACTIVE"]
    if not active:
        raise failed(f"cluster {cluster} is missing or not ACTIVE")
    return str(active[0]["clusterArn"])


def require_fit(service: dict[str, Any], defs: Definitions) -> None:
    """Only a rolling (ECS) deployment of our family behind the definition's target groups."""
    controller = service.get("deploymentController", {}).get("type", "ECS")
    strategy = service.get("deploymentConfiguration", {}).get("strategy", "ROLLING")
    if (controller, strategy) != ("ECS", "ROLLING"):
        raise failed(
            f"the service deploys with controller {controller}, strategy {strategy}; "
            "scripts/deploy follows rolling (ECS, ROLLING) deployments only"
        )
    if family_of(service["taskDefinition"]) != defs.task["family"]:
        raise failed(
            f"the service runs {short(service['taskDefinition'])}, not {defs.task['family']}"
        )
    if _balancers(service) != _balancers(defs.service):
        raise failed("the service's target groups differ from infra/ecs-service.json")


def require_idle(ecs: Any, cluster: str, service: str) -> None:
    """No deployment of the service under way, by ECS's records; otherwise another deploy runs."""
    busy = records.under_way(ecs, cluster, service)
    if busy:
        states = [d["status"] for d in busy]
        raise DeployError(
            Outcome.DEPLOY_IN_PROGRESS,
            f"another deployment is under way ({states}); refusing to deploy",
        )


def prove_records(ecs: Any, service: dict[str, Any] | None, probe_arn: str) -> None:
    current = (service or {}).get("currentServiceDeployment")
    if current:
        records.describe(ecs, current)
    else:
        probe.deployments_readable(ecs, probe_arn)


def failed(message: str) -> DeployError:
    return DeployError(Outcome.PREFLIGHT_FAILED, message)


def _live(service: dict[str, Any] | None) -> dict[str, Any]:
    """What the running service decides itself: its desired count (auto scaling owns it)."""
    return {"desiredCount": service["desiredCount"]} if service else {"creating": True}


def _balancers(service: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted(
        (lb["targetGroupArn"], lb["containerName"], lb["containerPort"])
        for lb in service.get("loadBalancers", [])
    )


def _where(cluster_arn: str) -> tuple[str, str]:
    """(region, account) of an ARN."""
    parts = cluster_arn.split(":")
    return parts[3], parts[4]


def _log_group(task_def: dict[str, Any]) -> str:
    options = task_def["containerDefinitions"][0]["logConfiguration"]["options"]
    return str(options["awslogs-group"])
