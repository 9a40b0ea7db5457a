"""The service's target groups, and whether their health checks make a safe rolling deploy."""

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ecs_deploy.outcome import DeployError, Outcome

HEALTH_CHECK_PATH = "/ping"  # answers without the database, so a database blip drains nothing
# Probes further apart than 30 s make deploys slow and let a dead task take traffic longer.
INTERVAL_SECONDS = range(5, 31)
# One healthy probe can be luck during start-up; more than 5 makes every deploy needlessly slow.
HEALTHY_THRESHOLD = range(2, 6)
# One failed probe (a GC pause, a slow request) must not evict a task.
UNHEALTHY_THRESHOLD = range(2, 11)
# A longer delay holds every deploy that long; gunicorn finishes in-flight requests well within.
MAX_DEREGISTRATION_DELAY = 120


@dataclass(frozen=True)
class TargetGroup:
    arn: str
    container_name: str
    container_port: int
    interval: int
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay: int


def inspect(elbv2: Any, load_balancer: dict[str, Any]) -> TargetGroup:
    """The target group behind one of the service's load balancer entries, checked for sanity."""
    arn = load_balancer.get("targetGroupArn")
    if not arn:
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"not a target group: {load_balancer}")
    settings, delay = _describe(elbv2, arn)
    problems = health_check_problems(settings) + delay_problems(delay)
    if problems:
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"target group {arn}: {'; '.join(problems)}")
    return TargetGroup(
        arn=arn,
        container_name=load_balancer["containerName"],
        container_port=load_balancer["containerPort"],
        interval=settings["HealthCheckIntervalSeconds"],
        healthy_threshold=settings["HealthyThresholdCount"],
        unhealthy_threshold=settings["UnhealthyThresholdCount"],
        deregistration_delay=delay,
    )


def _describe(elbv2: Any, arn: str) -> tuple[dict[str, Any], int]:
    try:
        settings = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    except ClientError as error:
        raise DeployError(Outcome.PREFLIGHT_FAILED, f"target group {arn}: {error}") from error
    values = {a["Key"]: a["Value"] for a in attributes}
    return settings, int(values.get("deregistration_delay.timeout_seconds", 300))


def health_check_problems(settings: dict[str, Any]) -> list[str]:
    problems = []
    if not settings.get("HealthCheckEnabled", True):
        problems.append("health checks are disabled")
    if settings.get("HealthCheckPath") != HEALTH_CHECK_PATH:
        problems.append(f"health check path {settings.get('HealthCheckPath')} is not /ping")
    interval = settings.get("HealthCheckIntervalSeconds", 0)
    checks = {
        "interval": (interval, INTERVAL_SECONDS),
        "healthy threshold": (settings.get("HealthyThresholdCount", 0), HEALTHY_THRESHOLD),
        "unhealthy threshold": (settings.get("UnhealthyThresholdCount", 0), UNHEALTHY_THRESHOLD),
    }
    for name, (value, allowed) in checks.items():
        if value not in allowed:
            problems.append(f"{name} {value} outside {allowed.start}..{allowed.stop - 1}")
    if settings.get("HealthCheckTimeoutSeconds", 0) >= interval:
        problems.append("health check timeout is not shorter than the interval")
    if "200" not in settings.get("Matcher", {}).get("HttpCode", ""):
        problems.append("the matcher does not accept 200")
    return problems


def delay_problems(delay: int) -> list[str]:
    if delay > MAX_DEREGISTRATION_DELAY:
        return [f"deregistration delay {delay} s above {MAX_DEREGISTRATION_DELAY} s"]
    return []
