"""Reading ECS services and task definition ARNs: the helpers every phase shares."""

from typing import Any

from ecs_deploy.outcome import DeployError, Outcome


def describe_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    """The service, which must exist and be ACTIVE (a deleted one lingers as INACTIVE)."""
    reply = ecs.describe_services(cluster=cluster, services=[service])
    found = [s for s in reply["services"] if s.get("status") == "ACTIVE"]
    if not found:
        why = [f["reason"] for f in reply.get("failures", [])] or ["not ACTIVE"]
        raise DeployError(
            Outcome.PREFLIGHT_FAILED, f"service {service} in {cluster}: {', '.join(why)}"
        )
    return dict(found[0])


def primary(service: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in service.get("deployments", []) if d["status"] == "PRIMARY"), None)


def deployment_of(service: dict[str, Any], task_definition: str) -> dict[str, Any] | None:
    """The newest deployment running `task_definition` (a rollback creates a second one)."""
    matching = [d for d in service.get("deployments", []) if d["taskDefinition"] == task_definition]
    return max(matching, key=lambda d: d["createdAt"], default=None)


def is_settled_on(service: dict[str, Any], task_definition: str) -> bool:
    """Only one deployment, of `task_definition`, completed, with every task running."""
    deployments = service.get("deployments", [])
    if service.get("taskDefinition") != task_definition or len(deployments) != 1:
        return False
    only = deployments[0]
    return bool(
        only["status"] == "PRIMARY"
        and only["taskDefinition"] == task_definition
        and only.get("rolloutState") == "COMPLETED"
        and only.get("runningCount") == only.get("desiredCount")
    )


def family_of(arn: str) -> str:
    return arn.rpartition("/")[2].rpartition(":")[0]


def revision_of(arn: str) -> int:
    return int(arn.rpartition(":")[2])


def short(arn: str | None) -> str:
    """`users-service:12` for a task definition ARN, for people to read."""
    return arn.rpartition("/")[2] if arn else "-"
