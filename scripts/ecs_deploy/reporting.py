"""What the rollout watch tells people on each poll: progress, new events, why tasks stopped."""

import re
from dataclasses import dataclass, field
from typing import Any

from ecs_deploy.clock import say
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import short
from ecs_deploy.targets import describe_tasks

# ECS writes "(service users) rolling back to deployment ecs-svc/..." when the circuit breaker
# triggers a rollback, and "... rolled back ..." in some reasons.
ROLLBACK = re.compile(r"roll(ing|ed) back", re.IGNORECASE)


@dataclass
class Watch:
    """What the watch has learned so far about one rollout."""

    new_arn: str
    previous_arn: str
    started: float
    deadline: float
    deployment_id: str | None
    event_ids: set[str]
    rollback_event: str | None = None
    failed_tasks: int = 0
    stopped_seen: set[str] = field(default_factory=set)
    serving_at: float | None = None
    drained_at: float | None = None


def report_events(service: dict[str, Any], watch: Watch) -> None:
    """Service events that appeared since the update, oldest first; remember a rollback."""
    fresh = [e for e in service.get("events", []) if e["id"] not in watch.event_ids]
    for event in sorted(fresh, key=lambda e: e["createdAt"]):
        watch.event_ids.add(event["id"])
        say(f"event: {event['message']}")
        if ROLLBACK.search(event["message"]) and watch.rollback_event is None:
            watch.rollback_event = event["message"]


def progress(service: dict[str, Any], ours: dict[str, Any] | None, elapsed: float) -> str:
    others = [f"{d['status']} {short(d['taskDefinition'])}" for d in service["deployments"]]
    if ours is None:
        return f"{elapsed:.0f} s: no deployment of the new revision yet; deployments: {others}"
    return (
        f"{elapsed:.0f} s: {short(ours['taskDefinition'])} {ours['status']} "
        f"{ours.get('rolloutState', '?')}: running {ours.get('runningCount')}"
        f"/{ours.get('desiredCount')}, pending {ours.get('pendingCount')}, failed "
        f"{ours.get('failedTasks', 0)}; deployments: {others}"
    )


def report_stopped(ecs: Any, config: Config, ours: dict[str, Any], watch: Watch) -> None:
    """Why the new revision's tasks stopped, once each; looked up only when failures rise."""
    failed = ours.get("failedTasks", 0)
    if failed <= watch.failed_tasks:
        return
    watch.failed_tasks = failed
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=config.cluster, serviceName=config.service, desiredStatus="STOPPED"
    )
    arns = [arn for page in pages for arn in page["taskArns"] if arn not in watch.stopped_seen]
    for task in describe_tasks(ecs, config.cluster, arns):
        if task["taskDefinitionArn"] == watch.new_arn:
            watch.stopped_seen.add(task["taskArn"])
            task_id = task["taskArn"].rpartition("/")[2]
            say(f"task {task_id} stopped: {task.get('stoppedReason', 'no reason given')}")
