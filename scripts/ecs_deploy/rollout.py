"""Start the deployment (create or update the service) and follow ECS's record of it.

Deployed only when, on one poll, the record says SUCCESSFUL, the new revision's running tasks
are each a healthy target in every target group (serving), and no old task runs nor old target
drains (drained). Failure, rollback and supersession are read from the record's status and
monitors; service events are printed, never interpreted.
"""

import enum
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecs_deploy import records, targets
from ecs_deploy.clock import Clock, say
from ecs_deploy.config import Config
from ecs_deploy.ecs_state import describe_service, short
from ecs_deploy.outcome import DeployError, Outcome
from ecs_deploy.reporting import Watch, progress, report_events, report_stopped
from ecs_deploy.target_groups import TargetGroup

# What UpdateService may change on a running service; the rest is fixed at creation.
UPDATABLE = (
    "deploymentConfiguration", "healthCheckGracePeriodSeconds", "placementStrategy",
    "placementConstraints", "availabilityZoneRebalancing", "enableECSManagedTags", "propagateTags",
)  # fmt: skip


class Ending(enum.Enum):
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled back"  # ROLLBACK_SUCCESSFUL
    ROLLBACK_FAILED = "rollback failed"
    STOPPED = "stopped"  # STOPPED without a newer deployment: nobody rolled it back
    SUPERSEDED = "superseded"
    TIMED_OUT = "timed out"


@dataclass(frozen=True)
class Verdict:
    ending: Ending
    message: str
    record: dict[str, Any] | None
    rolled_back_by: str | None = None


def start(ecs: Any, definition: dict[str, Any], exists: bool, revision: str) -> dict[str, Any]:
    """Create the service from its definition, or apply the definition's updatable settings
    and the new revision to it; the service as ECS answered."""
    if not exists:
        say(f"creating service {definition['serviceName']} on {short(revision)}")
        return dict(ecs.create_service(**definition, taskDefinition=revision)["service"])
    settings = {key: definition[key] for key in UPDATABLE if key in definition}
    reply = ecs.update_service(
        cluster=definition["cluster"],
        service=definition["serviceName"],
        taskDefinition=revision,
        **settings,
    )
    return dict(reply["service"])


def watch_for(
    ecs: Any, cluster: str, service: dict[str, Any], revision: str, seconds: float, clock: Clock
) -> Watch:
    name = service["serviceName"]
    arn = records.started_by(ecs, cluster, service)
    if arn is None:
        raise DeployError(Outcome.UNEXPECTED_ERROR, f"ECS names no deployment of {short(revision)}")
    now = clock.monotonic()
    say(f"service {name} now rolling to {short(revision)} ({arn}); watching for {seconds:g} s")
    seen = {e["id"] for e in service.get("events", [])}
    return Watch(cluster, name, revision, arn, now, now + seconds, seen)


def follow(
    clients: Any, config: Config, groups: list[TargetGroup], watch: Watch, clock: Clock
) -> Verdict:
    """Poll until the record ends the watch or the deadline passes."""
    record = None
    while True:
        try:
            record = records.describe(clients.ecs, watch.deployment) or record
            verdict = poll(clients, groups, watch, record, clock) if record else None
        except (BotoCoreError, ClientError) as error:
            # Mid-rollout an API hiccup must not abandon the service; denials never get here
            # (aws.py ends the deploy), and persistent errors run into the deadline.
            say(f"poll failed, trying again: {error}")
            verdict = None
        if verdict:
            return verdict
        if clock.monotonic() >= watch.deadline:
            return Verdict(
                Ending.TIMED_OUT,
                f"not deployed within {watch.deadline - watch.started:g} s",
                record,
            )
        clock.sleep(config.poll_seconds)


def poll(
    clients: Any, groups: list[TargetGroup], watch: Watch, record: dict[str, Any], clock: Clock
) -> Verdict | None:
    service = describe_service(clients.ecs, watch.cluster, watch.service)
    report_events(service, watch)
    say(progress(record, clock.monotonic() - watch.started))
    report_stopped(clients.ecs, record, watch)
    ended = judge(record, service, watch)
    if ended or record["status"] not in ("IN_PROGRESS", "SUCCESSFUL"):
        return ended
    health = targets.observe(clients, watch.cluster, watch.service, groups, watch.revision)
    return settle(record, health, watch, clock)


def judge(record: dict[str, Any], service: dict[str, Any], watch: Watch) -> Verdict | None:
    status = record["status"]
    if status == "ROLLBACK_SUCCESSFUL":
        by = records.rolled_back_by(record, watch.rollback_requested)
        reason = record.get("rollback", {}).get("reason") or record.get("statusReason", "")
        return Verdict(Ending.ROLLED_BACK, f"rolled back by {by}: {reason}", record, by)
    if status == "ROLLBACK_FAILED":
        return Verdict(
            Ending.ROLLBACK_FAILED, f"ECS could not roll back: {record.get('statusReason')}", record
        )
    if status == "STOPPED":
        newer = service.get("currentServiceDeployment") not in (None, watch.deployment)
        ending = Ending.SUPERSEDED if newer else Ending.STOPPED
        return Verdict(ending, f"the deployment was stopped: {record.get('statusReason')}", record)
    return None


def settle(
    record: dict[str, Any], health: targets.Health, watch: Watch, clock: Clock
) -> Verdict | None:
    requested = record.get("targetServiceRevision", {}).get("requestedTaskCount", 0)
    healthy = sum(health.states.get(t) == "healthy" for t in health.expected)
    if health.tasks < requested or not health.all_new_healthy():
        say(f"new tasks running {health.tasks}, targets healthy {healthy}/{len(health.expected)}")
        return None
    now = clock.monotonic()
    if watch.serving_at is None:
        watch.serving_at = now
        say(f"serving: {len(health.expected)} new target(s) healthy at {now - watch.started:.0f} s")
    draining = health.old_draining()
    if records.old_running(record) or draining:
        say(f"draining: {records.old_running(record)} old task(s), {len(draining)} old target(s)")
        return None
    if watch.drained_at is None:
        watch.drained_at = now
        say(f"drained: no old task or target left at {now - watch.started:.0f} s")
    if record["status"] != "SUCCESSFUL":
        return None  # ECS still bakes: its alarms may yet roll the deployment back
    return Verdict(Ending.DEPLOYED, f"{short(watch.revision)} serves; old tasks drained", record)
