"""What the rollout watch tells people on each poll: the deployment record, new service events
(progress only: no decision is taken from their text) and why new tasks stopped."""

from dataclasses import dataclass, field
from typing import Any

from ecs_deploy import records
from ecs_deploy.clock import say
from ecs_deploy.targets import describe_tasks


@dataclass
class Watch:
    """What the watch has learned so far about one deployment."""

    cluster: str
    service: str
    revision: str  # the task definition this deployment rolls to
    deployment: str  # its serviceDeploymentArn
    started: float
    deadline: float
    event_ids: set[str]
    rollback_requested: bool = False
    failures_seen: int = 0
    stopped_seen: set[str] = field(default_factory=set)
    serving_at: float | None = None
    drained_at: float | None = None


def report_events(service: dict[str, Any], watch: Watch) -> None:
    fresh = [e for e in service.get("events", []) if e["id"] not in watch.event_ids]
    for event in sorted(fresh, key=lambda e: e["createdAt"]):
        watch.event_ids.add(event["id"])
        say(f"event: {event['message']}")


def progress(record: dict[str, Any], elapsed: float) -> str:
    target = record.get("targetServiceRevision", {})
    breaker = record.get("deploymentCircuitBreaker", {})
    return (
        f"{elapsed:.0f} s: deployment {record['status']} {record.get('lifecycleStage', '-')}: "
        f"new running {target.get('runningTaskCount', 0)}/{target.get('requestedTaskCount', 0)}"
        f", pending {target.get('pendingTaskCount', 0)}; old running {records.old_running(record)}"
        f"; breaker {breaker.get('failureCount', 0)}/{breaker.get('threshold', '-')}"
        f"; alarms {record.get('alarms', {}).get('status', '-')}"
    )


def report_stopped(ecs: Any, record: dict[str, Any], watch: Watch) -> None:
    """Why the new revision's tasks stopped, once each; looked up only when failures rise."""
    failures = record.get("deploymentCircuitBreaker", {}).get("failureCount", 0)
    if failures <= watch.failures_seen:
        return
    watch.failures_seen = failures
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=watch.cluster, serviceName=watch.service, desiredStatus="STOPPED"
    )
    arns = [arn for page in pages for arn in page["taskArns"] if arn not in watch.stopped_seen]
    for task in describe_tasks(ecs, watch.cluster, arns):
        if task["taskDefinitionArn"] == watch.revision:
            watch.stopped_seen.add(task["taskArn"])
            task_id = task["taskArn"].rpartition("/")[2]
            say(f"task {task_id} stopped: {task.get('stoppedReason', 'no reason given')}")
