"""Reading ECS services and task definition ARNs: the helpers every phase shares."""

from typing import Any

from ecs_deploy.outcome import DeployError, Outcome


def find_service(ecs: Any, cluster: str, service: str) -> dict[str, Any] | None:
    """The ACTIVE service, or None when it does not exist yet (a deleted one lingers INACTIVE)."""
    reply = ecs.describe_services(cluster=cluster, services=[service])
    found = [s for s in reply["services"] if s.get("status") == "ACTIVE"]
    return dict(found[0]) if found else None


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    """The service, which must exist and be ACTIVE."""
    found = find_service(ecs, cluster, service)
    if found is None:
        raise DeployError(Outcome.UNEXPECTED_ERROR, f"service {service} in {cluster} is gone")
    return found


def family_of(arn: str) -> str:
    return arn.rpartition("/")[2].rpartition(":")[0]


def revision_of(arn: str) -> int:
    return int(arn.rpartition(":")[2])


def short(arn: str | None) -> str:
    """`users-staging:12` for a task definition ARN, for people to read."""
    return arn.rpartition("/")[2] if arn else "-"
