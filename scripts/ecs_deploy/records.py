"""ECS's own record of each service deployment: whether one is under way, and how one ended.

A rolling deployment's record moves PENDING -> IN_PROGRESS -> SUCCESSFUL; when the circuit
breaker, a deployment alarm or StopServiceDeployment(ROLLBACK) intervenes it moves through
ROLLBACK_REQUESTED/ROLLBACK_IN_PROGRESS to ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED; a deployment
replaced by a newer one ends STOPPED.
"""

from typing import Any

from botocore.exceptions import ClientError

UNDER_WAY = [
    "PENDING",
    "IN_PROGRESS",
    "STOP_REQUESTED",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
]
ROLLING_FORWARD = {"PENDING", "IN_PROGRESS"}
ENDED = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
# A well-formed ARN that names no deployment: preflight asks for it to prove the permission
# when the service has no deployment yet (ECS answers with a failure, not AccessDenied).
NO_DEPLOYMENT = "0" * 22


def under_way(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    """Deployments of the service that have not ended; none for a service not created yet."""
    try:
        reply = ecs.list_service_deployments(cluster=cluster, service=service, status=UNDER_WAY)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ServiceNotFoundException":
            return []
        raise
    return list(reply["serviceDeployments"])


def describe(ecs: Any, arn: str) -> dict[str, Any] | None:
    found = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    return dict(found[0]) if found else None


def probe_arn(region: str, account: str, cluster: str, service: str) -> str:
    return f"arn:aws:ecs:{region}:{account}:service-deployment/{cluster}/{service}/{NO_DEPLOYMENT}"


def started_by(ecs: Any, cluster: str, service: dict[str, Any]) -> str | None:
    """The deployment that CreateService/UpdateService started: the reply names it; if a reply
    ever lacks the name, the newest deployment under way is the one."""
    if service.get("currentServiceDeployment"):
        return str(service["currentServiceDeployment"])
    listed = under_way(ecs, cluster, service["serviceName"])
    newest = max(listed, key=lambda d: d["createdAt"], default=None)
    return str(newest["serviceDeploymentArn"]) if newest else None


def rolled_back_by(record: dict[str, Any], requested: bool) -> str:
    """Who rolled a deployment back, from the record's monitors rather than event text."""
    if record.get("alarms", {}).get("status") == "TRIGGERED":
        return f"ecs deployment alarms {record['alarms'].get('triggeredAlarmNames', [])}"
    if record.get("deploymentCircuitBreaker", {}).get("status") == "TRIGGERED":
        return "ecs circuit breaker"
    return "deploy" if requested else "ecs"


def old_running(record: dict[str, Any]) -> int:
    return sum(r.get("runningTaskCount", 0) for r in record.get("sourceServiceRevisions", []))
